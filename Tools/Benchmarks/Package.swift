// swift-tools-version: 6.1
// Micro-benchmarks for SignalMesh. CryptoBenchmarks: each MeshCrypto wrapper next to the same operation called
// directly on the C library, so the wrapper's overhead shows as a ratio (Tools/bench-crypto.sh). TransportBenchmarks:
// Noise IK handshakes and the per-packet cost of established sessions, next to the bare X25519 and AES-256-GCM they
// are built on (Tools/bench-transport.sh). A separate package so that the parent package (and its CI) never resolves
// or builds ordo-one/benchmark.

import PackageDescription

let package = Package(
    name: "SignalMeshBenchmarks",
    dependencies: [
        // Named, because a path dependency's identity is otherwise its folder's name, which depends on the clone.
        .package(name: "SignalMesh", path: "../.."),
        // Naming the traits replaces benchmark's default set (MallocInterposer + RuntimeInterposer). With
        // RuntimeInterposer off, SwiftPM prunes ordo-one/swift-runtime-interposer (which benchmark 1.38.1 adds on
        // Linux with Swift 6.3 and which is not available here) from resolution; ARC counters are not measured.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The reference calls need libsodium and libcrypto directly, but the parent's CSodium and COpenSSL are
        // system-library *targets*, not products, so another package cannot depend on them. These two are
        // module maps of the benchmark's own over the same pkg-config libraries and the parent's own shim.h files
        // (named by relative path), so both sides of each comparison use the same C wrappers.
        .systemLibrary(
            name: "CBenchSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CBenchOpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        // Clocks and the thread-CPU metric both benchmark targets use.
        .target(
            name: "BenchmarkClocks",
            dependencies: [.product(name: "Benchmark", package: "benchmark")]),

        // ordo-one/benchmark looks for benchmark executables under Benchmarks/<target name>.
        .executableTarget(
            name: "CryptoBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkClocks",
                .product(name: "MeshCrypto", package: "SignalMesh"),
                .product(name: "MeshCore", package: "SignalMesh"),
                "CBenchSodium",
                "CBenchOpenSSL",
            ],
            path: "Benchmarks/CryptoBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "TransportBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                "BenchmarkClocks",
                .product(name: "MeshTransport", package: "SignalMesh"),
                .product(name: "MeshCrypto", package: "SignalMesh"),
                .product(name: "MeshCore", package: "SignalMesh"),
            ],
            path: "Benchmarks/TransportBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

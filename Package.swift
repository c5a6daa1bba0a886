// swift-tools-version: 6.1
// SignalMesh: a peer-to-peer node for traders. See README.md and Specs/.

import PackageDescription

/// Strict settings shared by every Swift target: Swift 6 language mode is the package default;
/// these add the upcoming-feature checks the house style relies on.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "SignalMesh",
    products: [
        .executable(name: "signalmesh", targets: ["signalmesh"]),
        .library(name: "MeshCore", targets: ["MeshCore"]),
        .library(name: "MeshWire", targets: ["MeshWire"]),
        .library(name: "MeshCrypto", targets: ["MeshCrypto"]),
        .library(name: "MeshTransport", targets: ["MeshTransport"]),
        .library(name: "MeshMembership", targets: ["MeshMembership"]),
        .library(name: "MeshNode", targets: ["MeshNode"]),
        .library(name: "MeshControl", targets: ["MeshControl"]),
        .library(name: "MeshSimulator", targets: ["MeshSimulator"]),
        .library(name: "MeshIndicators", targets: ["MeshIndicators"]),
        .library(name: "MeshSignals", targets: ["MeshSignals"]),
        .library(name: "MeshGossip", targets: ["MeshGossip"]),
        .library(name: "MeshSampleData", targets: ["MeshSampleData"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // Native libraries from Debian's -dev packages (Tools/install-deps.sh), found through pkg-config.
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CLibUV", pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(
            name: "CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),

        .target(name: "MeshCore", swiftSettings: swiftSettings),
        .target(name: "MeshWire", dependencies: ["MeshCore"], swiftSettings: swiftSettings),
        .target(
            name: "MeshCrypto", dependencies: ["MeshCore", "CSodium", "COpenSSL"],
            swiftSettings: swiftSettings),
        .target(
            name: "MeshTransport",
            dependencies: [
                "MeshCore", "MeshWire", "MeshCrypto", .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "MeshMembership", dependencies: ["MeshCore", "MeshWire", "MeshCrypto", "MeshTransport"],
            swiftSettings: swiftSettings),
        .target(
            name: "MeshNode",
            dependencies: [
                "MeshCore", "MeshWire", "MeshCrypto", "MeshTransport", "MeshMembership", "MeshIndicators",
                "MeshSignals",
                "MeshGossip", .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "MeshControl",
            dependencies: [
                "MeshCore", "MeshTransport", "MeshMembership", "MeshNode", "MeshIndicators", "MeshSignals",
                "MeshSampleData", "MeshGossip",
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "MeshSimulator",
            dependencies: [
                "MeshCore", "MeshCrypto", "MeshTransport", "MeshMembership", "MeshNode", "MeshSignals", "MeshGossip",
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .target(name: "MeshIndicators", swiftSettings: swiftSettings),
        .target(
            name: "MeshGossip",
            dependencies: [
                "MeshCore", "MeshWire", "MeshCrypto", .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        // The bundled real data set (Tools/sample-data.sh), compiled in: the default price feed.
        .target(name: "MeshSampleData", swiftSettings: swiftSettings),
        .target(
            name: "MeshSignals",
            dependencies: ["MeshCore", "MeshWire", "MeshCrypto", "MeshIndicators", "MeshSampleData"],
            swiftSettings: swiftSettings),
        .target(
            name: "MeshRuntime",
            dependencies: [
                "MeshCore", "MeshWire", "MeshCrypto", "MeshTransport", "MeshMembership", "MeshNode", "MeshControl",
                "MeshIndicators", "MeshSignals", "CLibUV", "CSQLite", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "signalmesh",
            dependencies: [
                "MeshCore", "MeshWire", "MeshCrypto", "MeshTransport", "MeshMembership", "MeshNode", "MeshControl",
                "MeshRuntime", "MeshSimulator", "MeshIndicators", "MeshSignals", "MeshSampleData", "MeshGossip",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        .testTarget(
            name: "MeshCoreTests",
            dependencies: ["MeshCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshWireTests",
            dependencies: [
                "MeshWire", "MeshCore", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshCryptoTests",
            dependencies: ["MeshCrypto", "MeshCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshTransportTests",
            dependencies: [
                "MeshTransport", "MeshCrypto", "MeshWire", "MeshCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshMembershipTests",
            dependencies: [
                "MeshMembership", "MeshCrypto", "MeshWire", "MeshCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshNodeTests",
            dependencies: [
                "MeshNode", "MeshMembership", "MeshTransport", "MeshCrypto", "MeshCore", "MeshSignals",
                "MeshIndicators",
                "MeshGossip",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshControlTests",
            dependencies: ["MeshControl", "MeshNode", "MeshMembership", "MeshTransport", "MeshCrypto", "MeshCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshSimulatorTests",
            dependencies: ["MeshSimulator", "MeshNode", "MeshMembership", "MeshCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshIndicatorsTests",
            dependencies: ["MeshIndicators", .product(name: "PropertyBased", package: "swift-property-based")],
            // Golden values from TA-Lib (Tools/indicator-golden.sh), read from the source tree by the tests.
            exclude: ["Golden"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshGossipTests",
            dependencies: [
                "MeshGossip", "MeshCore", "MeshWire", .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshSignalsTests",
            dependencies: ["MeshSignals", "MeshIndicators", "MeshSampleData", "MeshCore", "MeshCrypto"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "MeshRuntimeTests",
            dependencies: [
                "MeshRuntime", "MeshTransport", "MeshMembership", "MeshCrypto", "MeshCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SignalMeshCLITests",
            dependencies: ["signalmesh", "MeshCore", "MeshCrypto"],
            swiftSettings: swiftSettings),
    ]
)

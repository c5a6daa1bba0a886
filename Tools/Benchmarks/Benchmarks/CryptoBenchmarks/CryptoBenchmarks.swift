import Benchmark
import BenchmarkClocks

// Each operation runs twice: through MeshCrypto (`[wrapper]`) and as the same calls made directly on libcrypto or
// libsodium from this module (`[C]`). The ratio of the two is the wrapper's overhead; the wrapper should stay within
// 1.1x of the C call and allocate nothing. Tools/bench-crypto.sh runs this and prints the table.
//
// One sample is `scalingFactor` (1000) operations: a single operation (100 ns to 50 µs) is too short to time on
// its own without the clock reads dominating. The exported raw values are therefore per 1000 operations.

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        // .throughput is not read by the script but JMH export refuses a benchmark without it.
        metrics: [.throughput, .wallClock, threadCPUTime, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    let packet = AESGCMPacketFixture()
    registerOperation("AES-256-GCM seal+open 1200 B [wrapper]", configuration: configuration) {
        packet.sealAndOpenWithWrapper()
    }
    registerOperation("AES-256-GCM seal+open 1200 B [C]", configuration: configuration) {
        packet.sealAndOpenWithOpenSSL()
    }

    let ed25519 = Ed25519Fixture()
    registerOperation("Ed25519 sign 200 B [wrapper]", configuration: configuration) {
        blackHole(ed25519.signWithWrapper())
    }
    registerOperation("Ed25519 sign 200 B [C]", configuration: configuration) { blackHole(ed25519.signWithSodium()) }
    registerOperation("Ed25519 verify 200 B [wrapper]", configuration: configuration) {
        blackHole(ed25519.verifyWithWrapper())
    }
    registerOperation("Ed25519 verify 200 B [C]", configuration: configuration) {
        blackHole(ed25519.verifyWithSodium())
    }

    let sha256 = SHA256Fixture()
    registerOperation("SHA-256 64 B [wrapper]", configuration: configuration) { blackHole(sha256.hashWithWrapper()) }
    registerOperation("SHA-256 64 B [C]", configuration: configuration) { blackHole(sha256.hashWithOpenSSL()) }
}

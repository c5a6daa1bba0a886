import Benchmark
import BenchmarkClocks

// Transport benchmarks: the cost of a Noise IK handshake between two `Endpoint`s and of one message on an
// established session (DATAGRAM and reliable stream), next to the bare crypto they are built on (X25519, AES-256-GCM)
// measured in the same run. Everything runs on this thread, in memory, on a virtual clock. Tools/bench-transport.sh
// runs this and prints the table.
//
// Samples: one handshake per sample (`scalingFactor: .one`), so that the closes between handshakes stay outside the
// measurement; 1000 operations per sample (`.kilo`) for everything else, as in CryptoBenchmarks.

/// The responder's part of one handshake: its receive of the initiation plus its receive of the confirming packet.
let responderWallTime = BenchmarkMetric.custom(
    "Responder wall time (ns)", polarity: .prefersSmaller, useScalingFactor: false)
let responderCPUTime = BenchmarkMetric.custom(
    "Responder CPU time (ns)", polarity: .prefersSmaller, useScalingFactor: false)
/// Datagrams each endpoint sent during a sample of the session benchmarks, and `timerFired` calls the shell made:
/// what one operation covers, counted rather than assumed.
let datagramsFromA = BenchmarkMetric.custom("Datagrams A to B", polarity: .prefersSmaller, useScalingFactor: true)
let datagramsFromB = BenchmarkMetric.custom("Datagrams B to A", polarity: .prefersSmaller, useScalingFactor: true)
let timerCalls = BenchmarkMetric.custom("timerFired calls", polarity: .prefersSmaller, useScalingFactor: true)

let benchmarks: @Sendable () -> Void = {
    let cryptoConfiguration = Benchmark.Configuration(
        // .throughput is not read by the script but JMH export refuses a benchmark without it.
        metrics: [.throughput, .wallClock, threadCPUTime, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )
    let sessionConfiguration = Benchmark.Configuration(
        metrics: [
            .throughput, .wallClock, threadCPUTime, .mallocCountTotal, datagramsFromA, datagramsFromB, timerCalls,
        ],
        timeUnits: .nanoseconds,
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )
    let handshakeConfiguration = Benchmark.Configuration(
        metrics: [.throughput, .wallClock, threadCPUTime, .mallocCountTotal, responderWallTime, responderCPUTime],
        timeUnits: .nanoseconds,
        warmupIterations: 50,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    let x25519 = X25519Fixture()
    registerOperation("X25519 sharedSecret", configuration: cryptoConfiguration) { blackHole(x25519.sharedSecret()) }
    registerOperation("X25519 key generation", configuration: cryptoConfiguration) { blackHole(x25519.newKey()) }
    registerOperation("X25519 key generation in batches of 8", configuration: cryptoConfiguration) {
        blackHole(x25519.newBatch())
    }

    let packet = AESGCMPacketFixture()
    registerOperation("AES-256-GCM seal+open 1100 B", configuration: cryptoConfiguration) { packet.sealAndOpen() }

    let handshake = HandshakeFixture()
    Benchmark("Noise IK handshake", configuration: handshakeConfiguration) { benchmark in
        handshake.prepareNext()
        benchmark.startMeasurement()
        let timing = handshake.run()
        benchmark.stopMeasurement()
        benchmark.measurement(threadCPUTime, timing.cpu)
        benchmark.measurement(responderWallTime, timing.responderWall)
        benchmark.measurement(responderCPUTime, timing.responderCPU)
    }

    let datagrams = DatagramPathFixture()
    Benchmark("Datagram 1100 B", configuration: sessionConfiguration) { benchmark in
        let before = datagrams.link.counters
        measuringThreadCPUTime(of: benchmark) {
            for _ in benchmark.scaledIterations { datagrams.sendOne() }
        }
        recordTraffic(of: benchmark, since: before, now: datagrams.link.counters)
    }

    let stream = ReliableStreamFixture()
    Benchmark("Reliable 1100 B", configuration: sessionConfiguration) { benchmark in
        let before = stream.link.counters
        measuringThreadCPUTime(of: benchmark) {
            for _ in benchmark.scaledIterations { stream.sendOne() }
        }
        recordTraffic(of: benchmark, since: before, now: stream.link.counters)
    }
}

/// Records the datagrams and timer calls of one sample of a session benchmark.
func recordTraffic(of benchmark: Benchmark, since before: SessionLink.Counters, now after: SessionLink.Counters) {
    benchmark.measurement(datagramsFromA, after.datagramsFromA - before.datagramsFromA)
    benchmark.measurement(datagramsFromB, after.datagramsFromB - before.datagramsFromB)
    benchmark.measurement(timerCalls, after.timerCalls - before.timerCalls)
}

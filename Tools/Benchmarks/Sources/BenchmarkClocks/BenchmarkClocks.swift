public import Benchmark
import Glibc

// Clocks and the thread-CPU metric shared by every benchmark target of this package.

/// CPU time of this thread, in nanoseconds per sample. The benchmark framework's own CPU metrics read /proc in
/// scheduler ticks (10 ms), far coarser than one sample; this clock also leaves out time the thread spent
/// descheduled, which on a shared machine is most of the noise in wall-clock time.
public let threadCPUTime = BenchmarkMetric.custom(
    "Thread CPU time (ns)", polarity: .prefersSmaller, useScalingFactor: true)

/// Runs `body` (one sample) and records the thread CPU time it took as `threadCPUTime`.
@inlinable
public func measuringThreadCPUTime(of benchmark: Benchmark, _ body: () -> Void) {
    let start = threadCPUNanoseconds()
    body()
    benchmark.measurement(threadCPUTime, threadCPUNanoseconds() - start)
}

/// CPU time of this thread, in nanoseconds.
@inlinable
public func threadCPUNanoseconds() -> Int {
    nanoseconds(of: CLOCK_THREAD_CPUTIME_ID)
}

/// Monotonic wall-clock time, in nanoseconds.
@inlinable
public func wallNanoseconds() -> Int {
    nanoseconds(of: CLOCK_MONOTONIC)
}

@usableFromInline
func nanoseconds(of clock: clockid_t) -> Int {
    var now = timespec()
    precondition(clock_gettime(clock, &now) == 0, "clock_gettime(\(clock)) failed")
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}

/// Registers a benchmark whose sample runs `operation` once per scaled iteration, with the thread CPU time recorded
/// as `threadCPUTime` (the shape of every single-operation benchmark in this package).
public func registerOperation(
    _ name: String, configuration: Benchmark.Configuration, _ operation: @escaping () -> Void
) {
    Benchmark(name, configuration: configuration) { benchmark in
        measuringThreadCPUTime(of: benchmark) {
            for _ in benchmark.scaledIterations { operation() }
        }
    }
}

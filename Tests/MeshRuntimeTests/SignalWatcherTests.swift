import Glibc
import MeshRuntime
import Testing

@Suite("Signal watcher", .serialized)
struct SignalWatcherTests {
    @Test("SIGINT then SIGTERM reach the handler in order with a running count")
    func shutdownSignalsAreCounted() throws {
        let loop = try EventLoop()
        var seen: [(SignalWatcher.Signal, Int)] = []
        let watcher = try SignalWatcher(loop: loop) { signal, count in
            seen.append((signal, count))
            // The second signal is sent only once the first arrived: two signals pending at once may be delivered
            // to different threads, in either order.
            if count == 1 { kill(getpid(), SIGTERM) }
            if count == 2 { loop.stop() }
        }
        // Sent to the process, as a service manager would: the thread running this test is a Swift concurrency
        // worker, which blocks both signals, so raise() would leave them pending on it. The kernel delivers a
        // process-directed signal to a thread that accepts it; libuv's handler (installed while the watcher is
        // open, instead of the default that ends the process) forwards it to the loop.
        kill(getpid(), SIGINT)
        #expect(try !runUntilStopped(loop))
        #expect(seen.map(\.0) == [.interrupt, .terminate])
        #expect(seen.map(\.1) == [1, 2])
        #expect(watcher.received == 2)
        watcher.close()
        try loop.close()
    }
}

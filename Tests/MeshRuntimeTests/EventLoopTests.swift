import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

@Suite("Event loop", .serialized)
struct EventLoopTests {
    @Test("uv_loop_close succeeds once every socket, timer and signal watcher is closed")
    func closeSucceedsAfterShutdown() throws {
        let loop = try EventLoop()
        let socket = try UDPSocket(loop: loop, address: loopbackV4)
        try socket.startReceiving { _, _ in }
        let watcher = try SignalWatcher(loop: loop) { _, _ in }
        let timer = try LoopTimer(loop: loop) { loop.stop() }
        timer.arm(at: loop.now + .milliseconds(5))
        #expect(try !runUntilStopped(loop))
        socket.close()
        watcher.close()
        timer.close()
        // EventLoop.close() throws unless uv_loop_close returns 0.
        #expect(throws: Never.self) { try loop.close() }
    }

    @Test("closing the loop while a handle is open is refused and names the count")
    func closeRefusedWhileHandlesOpen() throws {
        let loop = try EventLoop()
        let socket = try UDPSocket(loop: loop, address: loopbackV4)
        let timer = try LoopTimer(loop: loop) {}
        // A socket is two libuv handles: the poll handle that watches its descriptor and the prepare handle that
        // flushes its send batch.
        #expect(throws: RuntimeError.handlesStillOpen(count: 3)) { try loop.close() }
        socket.close()
        timer.close()
        #expect(throws: Never.self) { try loop.close() }
    }

    @Test("close finishes closing handles even when a stop() is pending")
    func closeWithPendingStop() throws {
        let loop = try EventLoop()
        let timer = try LoopTimer(loop: loop) {}
        timer.close()
        loop.stop()
        #expect(throws: Never.self) { try loop.close() }
    }

    @Test("a wake-up from another thread runs onWakeUp on the loop thread")
    func wakeUpFromAnotherThread() throws {
        let loop = try EventLoop()
        let loopThread = pthread_self()
        var ranOnLoopThread = false
        loop.onWakeUp = {
            ranOnLoopThread = pthread_equal(loopThread, pthread_self()) != 0
            loop.stop()
        }
        let remote = loop.remote
        let other = Thread {
            Thread.sleep(forTimeInterval: 0.02)
            remote.wakeUp()
        }
        other.start()
        #expect(try !runUntilStopped(loop))
        #expect(ranOnLoopThread)
        try loop.close()
    }

    @Test("a stop request from another thread stops the loop")
    func stopFromAnotherThread() throws {
        let loop = try EventLoop()
        var wakeUps = 0
        loop.onWakeUp = { wakeUps += 1 }
        let remote = loop.remote
        let other = Thread {
            Thread.sleep(forTimeInterval: 0.02)
            remote.requestStop()
        }
        other.start()
        #expect(try !runUntilStopped(loop))
        #expect(wakeUps == 0)
        try loop.close()
    }

    @Test("requests through the remote after the loop closed are refused")
    func remoteAfterCloseIsRefused() throws {
        let loop = try EventLoop()
        let remote = loop.remote
        try loop.close()
        #expect(!remote.wakeUp())
        #expect(!remote.requestStop())
    }

    @Test("now reads the system clock")
    func nowIsTheSystemClock() throws {
        let loop = try EventLoop()
        let reference = Date().timeIntervalSince1970
        #expect(abs(Double(loop.now.nanosecondsSinceEpoch) / 1e9 - reference) < 1)
        try loop.close()
    }
}

import MeshCore
import Testing

@testable import MeshRuntime

/// The pending-send queue, entered for real only when the kernel answers a send with `EAGAIN`, which loopback never
/// does. Each test queues its first datagram directly (standing in for that `EAGAIN`); from then on the socket puts
/// every flushed batch behind it until the socket is writable, so the later sends go through the public path.
@Suite("UDP socket pending-send queue", .serialized)
struct PendingSendTests {
    private func datagram(_ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: 100) }

    @Test("a batch flushed while datagrams are queued goes behind them, in order, and beyond the bound is dropped")
    func batchQueuesInOrderUpToTheBound() throws {
        let loop = try EventLoop()
        var settings = UDPSocket.Settings()
        settings.maxPendingSends = 4
        let sender = try UDPSocket(loop: loop, address: loopbackV4, settings: settings)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        var arrived: [UInt8] = []
        try receiver.startReceiving { bytes, _ in
            arrived.append(bytes[0])
            if arrived.count == 4 { loop.stop() }
        }
        let destination = receiver.localAddress
        #expect(datagram(0).withUnsafeBytes { sender.enqueue($0, to: destination) } == nil)
        let outcomes = (1...4).map { value in datagram(value).withUnsafeBytes { sender.send($0, to: destination) } }
        #expect(outcomes == [.batched, .batched, .batched, .batched])
        sender.flush()
        #expect(sender.counters.queued == 4)
        #expect(sender.counters[dropped: .sendQueueFull] == 1)
        #expect(sender.counters.sendCalls == 0, "a waiting queue must not be overtaken by a direct send")
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [0, 1, 2, 3])
        #expect(sender.counters.sent == 4)
        let callsToDrain = sender.counters.sendCalls
        // The queue drained once the socket was writable: a batch goes straight to the kernel again.
        _ = datagram(5).withUnsafeBytes { sender.send($0, to: destination) }
        sender.flush()
        #expect(sender.counters.sendCalls == callsToDrain + 1)
        #expect(sender.counters.sent == 5)
        #expect(sender.counters.queued == 4)
        sender.close()
        receiver.close()
        try loop.close()
    }

    @Test("a datagram still queued when the socket closes is counted as cancelled")
    func closeCancelsPendingSends() throws {
        let loop = try EventLoop()
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        let destination = receiver.localAddress
        // The first waits for the socket to be writable, which the loop never gets to see; close() flushes the second
        // behind it.
        #expect(datagram(1).withUnsafeBytes { sender.enqueue($0, to: destination) } == nil)
        #expect(datagram(2).withUnsafeBytes { sender.send($0, to: destination) } == .batched)
        sender.close()
        receiver.close()
        try loop.close()
        #expect(sender.counters.queued == 2)
        #expect(sender.counters.sent == 0)
        #expect(sender.counters[dropped: .cancelledAtClose] == 2)
    }
}

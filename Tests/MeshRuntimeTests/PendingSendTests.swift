import MeshCore
import Testing

@testable import MeshRuntime

/// The pending-send queue, entered for real only when the kernel answers a send with `EAGAIN`, which loopback never
/// does. Each test queues its first datagram directly (standing in for that `EAGAIN`); from then on libuv itself
/// refuses `uv_udp_try_send` while its queue is busy, so the later sends go through the public path.
@Suite("UDP socket pending-send queue", .serialized)
struct PendingSendTests {
    private func datagram(_ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: 100) }

    @Test("queued datagrams go out in order, and a send beyond the bound is dropped and counted")
    func queuedInOrderUpToTheBound() throws {
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
        #expect(datagram(0).withUnsafeBytes { sender.enqueue($0, to: destination) } == .queued)
        let outcomes = (1...4).map { value in datagram(value).withUnsafeBytes { sender.send($0, to: destination) } }
        #expect(outcomes == [.queued, .queued, .queued, .dropped(.sendQueueFull)])
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [0, 1, 2, 3])
        #expect(sender.counters.queued == 4)
        #expect(sender.counters.sent == 4)
        #expect(sender.counters[dropped: .sendQueueFull] == 1)
        // Every slot came back: with libuv's queue drained, a send goes straight to the kernel again.
        #expect(datagram(5).withUnsafeBytes { sender.send($0, to: destination) } == .sent)
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
        // libuv writes the first at once (its queue was empty) and holds the second until the socket is writable.
        #expect(datagram(1).withUnsafeBytes { sender.enqueue($0, to: destination) } == .queued)
        #expect(datagram(2).withUnsafeBytes { sender.send($0, to: destination) } == .queued)
        sender.close()
        receiver.close()
        try loop.close()
        #expect(sender.counters.sent == 1)
        #expect(sender.counters[dropped: .cancelledAtClose] == 1)
    }
}

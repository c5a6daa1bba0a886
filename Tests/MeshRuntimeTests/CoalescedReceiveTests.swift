import Glibc
import MeshCore
import Testing

@testable import MeshRuntime

/// Receives of runs that the kernel hands over coalesced (UDP GRO) over 127.0.0.1, cut back into datagrams.
@Suite("UDP socket coalesced receives", .serialized)
struct CoalescedReceiveTests {
    /// Sends one datagram of each size in `sizes` (byte `index` of datagram `n` is `n + index`) from a socket with
    /// GSO to a receiver made with `receiverSettings`, and returns the datagrams as they arrived and the receiver's
    /// counters.
    private func exchange(
        sizes: [Int], receiverSettings: UDPSocket.Settings = UDPSocket.Settings()
    ) throws -> (arrived: [[UInt8]], counters: UDPSocket.Counters) {
        let loop = try EventLoop()
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        let receiver = try UDPSocket(loop: loop, address: loopbackV4, settings: receiverSettings)
        var arrived: [[UInt8]] = []
        try receiver.startReceiving { bytes, _ in
            arrived.append(Array(bytes))
            if arrived.count == sizes.count { loop.stop() }
        }
        for (number, size) in sizes.enumerated() {
            let datagram = (0..<size).map { UInt8(truncatingIfNeeded: number + $0) }
            _ = datagram.withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        }
        #expect(try !runUntilStopped(loop))
        let counters = receiver.counters
        sender.close()
        receiver.close()
        try loop.close()
        return (arrived, counters)
    }

    private func expected(sizes: [Int]) -> [[UInt8]] {
        sizes.enumerated().map { number, size in (0..<size).map { UInt8(truncatingIfNeeded: number + $0) } }
    }

    @Test(
        "a GSO run whose last datagram is shorter reaches a GRO receiver as one message and is cut back as sent",
        .enabled(
            if: kernelSupportsUDPSegmentation() && kernelSupportsUDPReceiveOffload(),
            "this kernel lacks UDP GSO or GRO, so nothing is coalesced"))
    func coalescedRunIsCutBackIntoItsDatagrams() throws {
        let sizes = [1000, 1000, 1000, 1000, 1000, 300]
        let (arrived, counters) = try exchange(sizes: sizes)
        #expect(arrived == expected(sizes: sizes))
        #expect(counters.coalescedReceives == 1)
        #expect(counters.received == UInt64(sizes.count))
    }

    @Test("with receive offload not allowed, a GSO run arrives datagram by datagram")
    func withoutReceiveOffloadNothingIsCoalesced() throws {
        var settings = UDPSocket.Settings()
        settings.allowsReceiveOffload = false
        let sizes = Array(repeating: 1200, count: 20)
        let (arrived, counters) = try exchange(sizes: sizes, receiverSettings: settings)
        #expect(arrived == expected(sizes: sizes))
        #expect(counters.coalescedReceives == 0)
    }

    @Test("an empty datagram is delivered, empty")
    func emptyDatagramIsDelivered() throws {
        let loop = try EventLoop()
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        var arrived: [[UInt8]] = []
        try receiver.startReceiving { bytes, _ in
            arrived.append(Array(bytes))
            loop.stop()
        }
        #expect(sendRawIPv4([], toPort: receiver.localAddress.port))
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [[]])
        #expect(receiver.counters.received == 1)
        receiver.close()
        try loop.close()
    }
}

import Foundation
import Glibc
import MeshCore
import MeshRuntime
import Testing

@Suite("UDP socket on loopback", .serialized)
struct UDPSocketTests {
    /// Loopback does not lose datagrams when the sender never has more than a window of 32 in flight against
    /// receive buffers of hundreds of kilobytes, so every datagram must arrive.
    private func expectIntactExchange(over host: SocketAddress) throws {
        let loop = try EventLoop()
        let exchange = try DatagramExchange(loop: loop, host: host, count: 1000)
        exchange.start()
        let timedOut = try runUntilStopped(loop)
        #expect(!timedOut, "the exchange did not finish within the safety deadline")
        for side in [exchange.first, exchange.second] {
            #expect(side.intact == 1000)
            #expect(side.corrupt == 0)
            #expect(side.duplicates == 0)
            #expect(side.fromStrangers == 0)
            #expect(side.socket.counters.received == 1000)
            #expect(side.socket.counters.sent == 1000)
            #expect(side.socket.counters.dropped == 0)
        }
        exchange.close()
        try loop.close()
    }

    @Test("1000 datagrams each way between two sockets over 127.0.0.1 all arrive intact")
    func exchangeOverIPv4Loopback() throws {
        try expectIntactExchange(over: loopbackV4)
    }

    @Test(
        "1000 datagrams each way between two sockets over ::1 all arrive intact",
        .enabled(if: hostHasIPv6Loopback(), "this host has no IPv6 loopback (::1): IPv6 test skipped"))
    func exchangeOverIPv6Loopback() throws {
        try expectIntactExchange(over: loopbackV6)
    }

    @Test("binding port 0 reports the port the kernel chose, and datagrams sent there arrive")
    func ephemeralPortIsReported() throws {
        let loop = try EventLoop()
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        #expect(receiver.localAddress.port != 0)
        #expect(receiver.localAddress.host == loopbackV4)
        var arrived: [UInt8] = []
        var source: SocketAddress?
        try receiver.startReceiving { bytes, from in
            arrived = Array(bytes)
            source = from
            loop.stop()
        }
        let outcome = [UInt8]([1, 2, 3]).withUnsafeBytes { sender.send($0, to: receiver.localAddress) }
        #expect(outcome == .batched)
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [1, 2, 3])
        #expect(source == sender.localAddress)
        receiver.close()
        sender.close()
        try loop.close()
    }

    @Test("a send over 1200 bytes is refused and counted; exactly 1200 bytes goes through")
    func oversizeSendIsRefused() throws {
        let loop = try EventLoop()
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        var arrivedSizes: [Int] = []
        try receiver.startReceiving { bytes, _ in
            arrivedSizes.append(bytes.count)
            loop.stop()
        }
        let oversize = [UInt8](repeating: 7, count: Limits.maxDatagramSize + 1)
        let largest = [UInt8](repeating: 9, count: Limits.maxDatagramSize)
        #expect(oversize.withUnsafeBytes { sender.send($0, to: receiver.localAddress) } == .dropped(.oversizeSend))
        #expect(largest.withUnsafeBytes { sender.send($0, to: receiver.localAddress) } == .batched)
        #expect(try !runUntilStopped(loop))
        #expect(arrivedSizes == [Limits.maxDatagramSize])
        #expect(sender.counters[dropped: .oversizeSend] == 1)
        #expect(sender.counters.sent == 1)
        receiver.close()
        sender.close()
        try loop.close()
    }

    @Test("a received datagram over 1200 bytes is dropped and counted, never delivered")
    func oversizeReceiveIsDropped() throws {
        let loop = try EventLoop()
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        var arrivedSizes: [Int] = []
        try receiver.startReceiving { bytes, _ in
            arrivedSizes.append(bytes.count)
            loop.stop()
        }
        // The kernel keeps the order of datagrams from one socket, so the small one arrives after the large one.
        #expect(sendRawIPv4([UInt8](repeating: 1, count: 1500), toPort: receiver.localAddress.port))
        #expect(sendRawIPv4([UInt8](repeating: 2, count: 10), toPort: receiver.localAddress.port))
        #expect(try !runUntilStopped(loop))
        #expect(arrivedSizes == [10])
        #expect(receiver.counters[dropped: .oversizeReceive] == 1)
        #expect(receiver.counters.received == 1)
        receiver.close()
        try loop.close()
    }

    @Test("a handler that closes its socket in the middle of a receive batch gets no further datagram")
    func closingInsideABatchStopsDelivery() throws {
        let loop = try EventLoop()
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        var deliveries = 0
        try receiver.startReceiving { _, _ in
            deliveries += 1
            receiver.close()
            loop.stop()
        }
        // Sent before the loop runs, so that one recvmmsg call reads them all.
        for value in 0..<10 {
            [UInt8]([UInt8(value)]).withUnsafeBytes { _ = sender.send($0, to: receiver.localAddress) }
        }
        #expect(try !runUntilStopped(loop))
        #expect(deliveries == 1)
        sender.close()
        try loop.close()
    }

    @Test("after stopReceiving datagrams wait in the kernel, and arrive once receiving starts again")
    func stoppedReceiveKeepsDatagramsInTheKernel() throws {
        let loop = try EventLoop()
        let receiver = try UDPSocket(loop: loop, address: loopbackV4)
        let sender = try UDPSocket(loop: loop, address: loopbackV4)
        var arrived: [UInt8] = []
        try receiver.startReceiving { bytes, _ in arrived.append(contentsOf: bytes) }
        receiver.stopReceiving()
        [UInt8]([42]).withUnsafeBytes { _ = sender.send($0, to: receiver.localAddress) }
        let pause = try LoopTimer(loop: loop) { loop.stop() }
        pause.arm(at: loop.now + .milliseconds(20))
        #expect(try !runUntilStopped(loop))
        #expect(arrived.isEmpty)
        try receiver.startReceiving { bytes, _ in
            arrived.append(contentsOf: bytes)
            loop.stop()
        }
        #expect(try !runUntilStopped(loop))
        #expect(arrived == [42])
        pause.close()
        receiver.close()
        sender.close()
        try loop.close()
    }

    @Test("a send to the other address family is refused and counted")
    func wrongFamilyIsRefused() throws {
        let loop = try EventLoop()
        let socket = try UDPSocket(loop: loop, address: loopbackV4)
        let outcome = [UInt8]([0]).withUnsafeBytes { socket.send($0, to: .ipv6(.loopback, port: 9)) }
        #expect(outcome == .dropped(.wrongAddressFamily))
        #expect(socket.counters[dropped: .wrongAddressFamily] == 1)
        socket.close()
        try loop.close()
    }

    @Test("binding a port that is in use fails with EADDRINUSE and leaks no handle")
    func bindingAPortInUseFails() throws {
        let loop = try EventLoop()
        let first = try UDPSocket(loop: loop, address: loopbackV4)
        #expect {
            _ = try UDPSocket(loop: loop, address: first.localAddress)
        } throws: { error in
            guard case .bindFailed(let address, _) = error as? RuntimeError else { return false }
            return address == first.localAddress && "\(error)".contains("EADDRINUSE")
        }
        first.close()
        try loop.close()
    }

    @Test("socket buffers are asked for 4 MiB and the kernel's grant is reported")
    func bufferSizesAreReported() throws {
        let loop = try EventLoop()
        let socket = try UDPSocket(loop: loop, address: loopbackV4)
        // Linux caps a request at net.core.{w,r}mem_max and reports back twice what it grants.
        func expected(_ limitFile: String) -> Int? {
            guard let text = try? String(contentsOfFile: limitFile, encoding: .utf8),
                let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return nil }
            return 2 * min(4 << 20, limit)
        }
        if let send = expected("/proc/sys/net/core/wmem_max") {
            #expect(socket.grantedSendBufferSize == send)
        } else {
            #expect(socket.grantedSendBufferSize > 0)
        }
        if let receive = expected("/proc/sys/net/core/rmem_max") {
            #expect(socket.grantedReceiveBufferSize == receive)
        } else {
            #expect(socket.grantedReceiveBufferSize > 0)
        }
        socket.close()
        try loop.close()
    }
}

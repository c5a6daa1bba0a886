import MeshCore
import MeshRuntime

/// Two sockets on one loop sending each other numbered datagrams of varied length, each checked byte for byte.
///
/// Paced like a sliding window: each side starts with `window` datagrams in flight and sends its next one whenever
/// one of the peer's arrives, so the receive buffers never overflow and loopback has no reason to drop anything.
/// The loop stops when both sides have received every datagram.
final class DatagramExchange {
    /// One side: its socket, what it has sent, and what it has seen of the peer's datagrams.
    final class Side {
        let socket: UDPSocket
        let tag: UInt8
        var peerAddress: SocketAddress
        var nextToSend = 0
        var seen: [Bool]
        var intact = 0
        var corrupt = 0
        var duplicates = 0
        var fromStrangers = 0

        init(socket: UDPSocket, tag: UInt8, count: Int) {
            self.socket = socket
            self.tag = tag
            peerAddress = socket.localAddress
            seen = Array(repeating: false, count: count)
        }
    }

    let count: Int
    let window: Int
    let first: Side
    let second: Side

    init(loop: EventLoop, host: SocketAddress, count: Int, window: Int = 32) throws {
        self.count = count
        self.window = window
        first = Side(socket: try UDPSocket(loop: loop, address: host), tag: 0xA1, count: count)
        second = Side(socket: try UDPSocket(loop: loop, address: host), tag: 0xB2, count: count)
        first.peerAddress = second.socket.localAddress
        second.peerAddress = first.socket.localAddress
        for (side, peer) in [(first, second), (second, first)] {
            try side.socket.startReceiving { [unowned self] bytes, source in
                self.receive(bytes, from: source, at: side, sentBy: peer)
                if self.first.intact == count && self.second.intact == count { loop.stop() }
            }
        }
    }

    /// Puts the first `window` datagrams of each side in flight.
    func start() {
        for _ in 0..<window {
            sendNext(from: first)
            sendNext(from: second)
        }
    }

    func close() {
        first.socket.close()
        second.socket.close()
    }

    /// The datagram `sequence` of the side tagged `tag`: tag, big-endian sequence, then a pattern; 5 to 1200 bytes.
    static func datagram(tag: UInt8, sequence: Int) -> [UInt8] {
        let length = 5 + (sequence * 37) % (Limits.maxDatagramSize - 4)
        var bytes = [tag] + (0..<4).map { UInt8(truncatingIfNeeded: sequence >> (24 - 8 * $0)) }
        for index in 5..<length { bytes.append(UInt8(truncatingIfNeeded: sequence &* 31 &+ index &* 7) ^ tag) }
        return bytes
    }

    private func sendNext(from side: Side) {
        guard side.nextToSend < count else { return }
        let bytes = Self.datagram(tag: side.tag, sequence: side.nextToSend)
        side.nextToSend += 1
        bytes.withUnsafeBytes { _ = side.socket.send($0, to: side.peerAddress) }
    }

    private func receive(_ bytes: UnsafeRawBufferPointer, from source: SocketAddress, at side: Side, sentBy peer: Side)
    {
        guard source == peer.socket.localAddress else {
            side.fromStrangers += 1
            return
        }
        guard bytes.count >= 5 else {
            side.corrupt += 1
            return
        }
        let sequence = bytes[1..<5].reduce(0) { $0 << 8 | Int($1) }
        guard sequence < count, bytes.elementsEqual(Self.datagram(tag: peer.tag, sequence: sequence)) else {
            side.corrupt += 1
            return
        }
        guard !side.seen[sequence] else {
            side.duplicates += 1
            return
        }
        side.seen[sequence] = true
        side.intact += 1
        sendNext(from: side)
    }
}

import MeshCore
import MeshCrypto
import MeshWire

/// One set of transport keys between two nodes, from one handshake: indices, ciphers, the send counter and the
/// replay window (`Specs/transport.md`, "Sessions").
struct Session {
    /// Our index for this session: peers put it in the packets they send us.
    let localIndex: UInt32
    /// The peer's index: we put it in the packets we send.
    let remoteIndex: UInt32
    let sender: AES256GCM
    let receiver: AES256GCM
    /// Whether we initiated the handshake (the initiator rekeys on time; see `EndpointSettings`).
    let isInitiator: Bool
    let createdAt: Instant
    private(set) var sendCounter: UInt64 = 0
    private(set) var replay = ReplayWindow()
    /// Packets sent on this session that the peer has not acknowledged: loss detection and RTT (packet numbers
    /// are the counters, which restart with every session).
    var sent: SentPacketTracker<PacketRecord>
    /// Packets received on this session, for the ACK frames we owe.
    var received = ReceivedPacketTracker()

    /// A session from a completed handshake. `initialRTT` carries the previous session's estimate over a rekey.
    init(
        localIndex: UInt32, remoteIndex: UInt32, keys: NoiseTransportKeys, isInitiator: Bool, now: Instant,
        initialRTT: Duration? = nil
    ) {
        self.localIndex = localIndex
        self.remoteIndex = remoteIndex
        sender = AES256GCM(key: keys.sending)
        receiver = AES256GCM(key: keys.receiving)
        self.isInitiator = isInitiator
        createdAt = now
        var settings = LossDetectionSettings()
        if let initialRTT { settings.initialRTT = initialRTT }
        sent = SentPacketTracker(settings: settings)
    }

    /// The largest plaintext a packet can carry.
    static let maxPlaintext = Limits.maxDatagramSize - TransportPacket.minimumDataLength

    /// Whether this session may still send: younger than `rejectAfterTime` and below `rejectAfterMessages`.
    func canSend(now: Instant, settings: EndpointSettings) -> Bool {
        now - createdAt < settings.rejectAfterTime && sendCounter < settings.rejectAfterMessages
    }

    /// Whether this session may still receive.
    func canReceive(now: Instant, settings: EndpointSettings) -> Bool {
        now - createdAt < settings.rejectAfterTime
    }

    /// Whether it is time to replace this session with a new handshake. The initiator rekeys after
    /// `rekeyAfterTime`; the responder only later, so the two do not start crossing handshakes at once.
    func wantsRekey(now: Instant, settings: EndpointSettings) -> Bool {
        let age = now - createdAt
        let threshold = isInitiator ? settings.rekeyAfterTime : settings.rekeyAfterTime + settings.keepaliveTimeout
        return age >= threshold || sendCounter >= settings.rekeyAfterMessages
    }

    /// Encodes `frames` and encrypts them into a data packet with the next counter (the packet number).
    ///
    /// The frames are written straight into the packet after its header and encrypted in place, with the header
    /// read from the same buffer as associated data. The packet is written into `buffer` (a recycled one from the
    /// endpoint's pool, so that sealing allocates nothing), or a new array when it cannot hold a datagram.
    mutating func seal(
        _ frames: [SessionFrame], into buffer: consuming [UInt8] = []
    ) -> (packet: [UInt8], number: UInt64) {
        let counter = sendCounter
        sendCounter += 1
        var writer =
            buffer.capacity >= Limits.maxDatagramSize
            ? WireWriter(reusing: buffer) : WireWriter(capacity: Limits.maxDatagramSize)
        writer.writeUInt8(TransportPacket.Kind.data.rawValue)
        writer.writeUInt8(0)
        writer.writeUInt16(0)
        writer.writeUInt32(remoteIndex)
        writer.writeUInt64(counter)
        for frame in frames { frame.encode(into: &writer) }
        let plaintextCount = writer.count - TransportPacket.dataHeaderLength
        precondition(plaintextCount <= Self.maxPlaintext, "session plaintext of \(plaintextCount) bytes")
        writer.writeUInt64(0)
        writer.writeUInt64(0)
        var packet = writer.take()
        let header = TransportPacket.dataHeaderLength
        _ = packet.withUnsafeMutableBytes { raw in
            sender.seal(
                UnsafeRawBufferPointer(rebasing: raw[header..<(header + plaintextCount)]),
                nonce: AESGCMNonce(counter: counter), authenticating: UnsafeRawBufferPointer(rebasing: raw[0..<header]),
                into: UnsafeMutableRawBufferPointer(rebasing: raw[header...]))
        }
        return (packet, counter)
    }

    /// Decrypts the data packet `datagram` (whose header names this session and `counter`) into `plaintext`
    /// (replacing its contents; a buffer the endpoint reuses, so opening allocates nothing); false if it is a replay,
    /// too old, or does not authenticate. The header is authenticated as associated data, so a forged index or
    /// counter fails here.
    mutating func open(_ datagram: [UInt8], counter: UInt64, into plaintext: inout [UInt8]) -> Bool {
        guard replay.wouldAccept(counter) else { return false }
        let header = TransportPacket.dataHeaderLength
        let plaintextCount = datagram.count - header - AES256GCM.tagLength
        // Ciphertext and tag are copied in (one memcpy) and opened in place; the tag is cut off after.
        plaintext.removeAll(keepingCapacity: true)
        let opened = datagram.withUnsafeBytes { raw in
            plaintext.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[header...]))
            return plaintext.withUnsafeMutableBytes { sealed in
                (try? receiver.open(
                    UnsafeRawBufferPointer(sealed), nonce: AESGCMNonce(counter: counter),
                    authenticating: UnsafeRawBufferPointer(rebasing: raw[0..<header]), into: sealed)) != nil
            }
        }
        guard opened else { return false }
        plaintext.removeLast(plaintext.count - plaintextCount)
        _ = replay.accept(counter)
        return true
    }

    /// The highest counter received so far.
    var highestReceived: UInt64? { replay.highest }
}

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

    /// Encrypts `plaintext` into a data packet with the next counter (the packet number).
    mutating func seal(_ plaintext: [UInt8]) -> (packet: [UInt8], number: UInt64) {
        precondition(plaintext.count <= Self.maxPlaintext, "session plaintext of \(plaintext.count) bytes")
        let counter = sendCounter
        sendCounter += 1
        var packet = [UInt8](repeating: 0, count: TransportPacket.dataHeaderLength + plaintext.count + 16)
        packet[0] = TransportPacket.Kind.data.rawValue
        for shift in 0..<4 { packet[4 + shift] = UInt8(truncatingIfNeeded: remoteIndex >> (24 - 8 * UInt32(shift))) }
        for shift in 0..<8 { packet[8 + shift] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(shift))) }
        let header = Array(packet[0..<TransportPacket.dataHeaderLength])
        plaintext.withUnsafeBytes { input in
            header.withUnsafeBytes { aad in
                packet.withUnsafeMutableBytes { output in
                    let body = UnsafeMutableRawBufferPointer(rebasing: output[TransportPacket.dataHeaderLength...])
                    sender.seal(input, nonce: AESGCMNonce(counter: counter), authenticating: aad, into: body)
                }
            }
        }
        return (packet, counter)
    }

    /// Decrypts a data packet addressed to this session; nil if it is a replay, too old, or does not authenticate.
    /// The header is authenticated as associated data, so a forged index or counter fails here.
    mutating func open(_ packet: TransportPacket.DataPacket, header: ArraySlice<UInt8>) -> [UInt8]? {
        guard replay.wouldAccept(packet.counter) else { return nil }
        let aad = Array(header)
        guard
            let plaintext = try? receiver.open(
                packet.ciphertext, nonce: AESGCMNonce(counter: packet.counter), authenticating: aad)
        else { return nil }
        _ = replay.accept(packet.counter)
        return plaintext
    }

    /// The highest counter received so far.
    var highestReceived: UInt64? { replay.highest }
}

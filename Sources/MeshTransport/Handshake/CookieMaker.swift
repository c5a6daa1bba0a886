public import MeshCore
public import MeshCrypto

/// The responder's side of cookies (WireGuard, section 5.4.7): a secret that rotates every two minutes, cookies
/// that are a MAC of the sender's address under it, and the sealed cookie reply.
///
/// A cookie is valid while the secret that made it is the current or the previous one, so a sender's cookie lasts
/// between two and four minutes.
public struct CookieMaker: Sendable {
    /// How often the secret changes.
    public static let rotation = Duration.seconds(120)

    private var current: SymmetricKey
    private var previous: SymmetricKey?
    private var rotatedAt: Instant
    private let sealingKey: AES256GCMKeyHolder

    /// A maker for the node whose static key is `localStatic`.
    public init(localStatic: X25519PublicKey, random: inout some RandomBytesSource, now: Instant) {
        current = SymmetricKey(using: &random)
        rotatedAt = now
        sealingKey = AES256GCMKeyHolder(key: PacketMAC.cookieKey(senderStatic: localStatic))
    }

    /// Rotates the secret if it is older than `rotation`.
    public mutating func rotateIfDue(now: Instant, random: inout some RandomBytesSource) {
        guard now - rotatedAt >= Self.rotation else { return }
        previous = current
        current = SymmetricKey(using: &random)
        rotatedAt = now
    }

    /// The cookie for `address` under the current secret.
    public func cookie(for address: SocketAddress) -> Bytes16 {
        Self.cookie(for: address, secret: current)
    }

    /// Whether `mac2` of `packet` is valid for a cookie of `address` under the current or previous secret.
    public func verifyMAC2(_ packet: [UInt8], from address: SocketAddress) -> Bool {
        let mac2Start = packet.count - 16
        let tag = Bytes16(packet[mac2Start...])!
        for secret in [current] + (previous.map { [$0] } ?? []) {
            let cookie = Self.cookie(for: address, secret: secret)
            if PacketMAC.verify(tag, key: cookie.bytes, over: packet[..<mac2Start]) { return true }
        }
        return false
    }

    /// The cookie reply to a handshake packet from `address` whose sender index and mac1 are given.
    public func reply(
        to address: SocketAddress, senderIndex: UInt32, mac1: Bytes16, random: inout some RandomBytesSource
    ) -> TransportPacket.CookieReply {
        var nonce = [UInt8](repeating: 0, count: 12)
        nonce.withUnsafeMutableBytes { random.fill($0) }
        let sealed = sealingKey.cipher.seal(
            cookie(for: address).bytes, nonce: AESGCMNonce(nonce)!, authenticating: mac1.bytes)
        return TransportPacket.CookieReply(receiverIndex: senderIndex, nonce: nonce, sealedCookie: sealed)
    }

    /// Opens a cookie reply sent by the holder of `senderStatic` about our packet whose mac1 was `mac1`.
    public static func openReply(
        _ reply: TransportPacket.CookieReply, senderStatic: X25519PublicKey, mac1: Bytes16
    ) -> Bytes16? {
        let cipher = AES256GCM(key: PacketMAC.cookieKey(senderStatic: senderStatic))
        guard
            let cookie = try? cipher.open(
                reply.sealedCookie, nonce: AESGCMNonce(reply.nonce)!, authenticating: mac1.bytes)
        else { return nil }
        return Bytes16(cookie)
    }

    private static func cookie(for address: SocketAddress, secret: SymmetricKey) -> Bytes16 {
        var message = address.hostBytes
        message += [UInt8(address.port >> 8), UInt8(address.port & 0xff)]
        let full = secret.withUnsafeBytes { key in
            message.withUnsafeBytes { HMACSHA256.authenticationCode(for: $0, key: key) }
        }
        return full.withUnsafeBytes { Bytes16($0.prefix(16))! }
    }
}

/// An AES-256-GCM cipher shared by value copies of its owner (the cipher object is immutable once keyed; it is used
/// only from the thread that owns the core).
final class AES256GCMKeyHolder: @unchecked Sendable {
    let cipher: AES256GCM

    init(key: SymmetricKey) {
        cipher = AES256GCM(key: key)
    }
}

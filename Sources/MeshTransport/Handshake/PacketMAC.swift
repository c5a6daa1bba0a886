public import MeshCore
public import MeshCrypto

/// The two MACs at the end of every handshake packet (`Specs/transport.md`, "MACs and cookies"), WireGuard's
/// design with HMAC-SHA256 truncated to 16 bytes.
///
/// - `mac1` is keyed by a hash of the *receiver's* static public key, which an honest sender always knows (IK).
///   The receiver checks it before any Diffie-Hellman, so a flood of random packets costs one HMAC each.
/// - `mac2` is keyed by a cookie the receiver handed out for the sender's address; it is all zeros until the sender
///   got one. Under load the receiver requires it, proving the sender can receive at its source address.
public enum PacketMAC {
    /// The key for `mac1` of packets addressed to the holder of `receiverStatic`.
    public static func mac1Key(receiverStatic: X25519PublicKey) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(Array("mac1----".utf8))
        receiverStatic.rawValue.withUnsafeBytes { hasher.update($0) }
        return hasher.finalize().bytes
    }

    /// The key that seals cookie replies sent by the holder of `senderStatic`.
    public static func cookieKey(senderStatic: X25519PublicKey) -> SymmetricKey {
        var hasher = SHA256()
        hasher.update(Array("cookie--".utf8))
        senderStatic.rawValue.withUnsafeBytes { hasher.update($0) }
        return try! SymmetricKey(bytes: hasher.finalize().bytes)
    }

    /// The first 16 bytes of HMAC-SHA256(key, bytes).
    public static func mac(key: [UInt8], over bytes: ArraySlice<UInt8>) -> Bytes16 {
        let full = bytes.withUnsafeBytes { message in
            key.withUnsafeBytes { k in HMACSHA256.authenticationCode(for: message, key: k) }
        }
        return full.withUnsafeBytes { Bytes16($0.prefix(16))! }
    }

    /// Whether `tag` equals the truncated MAC, compared in constant time.
    public static func verify(_ tag: Bytes16, key: [UInt8], over bytes: ArraySlice<UInt8>) -> Bool {
        let expected = mac(key: key, over: bytes)
        return expected.withUnsafeBytes { e in tag.withUnsafeBytes { t in ConstantTime.equal(e, t) } }
    }

    /// Fills in mac1 (and mac2, when a cookie is known) of an encoded handshake packet in place.
    /// The MACs are the last 32 bytes; mac1 covers everything before it, mac2 everything before mac2.
    public static func seal(_ packet: inout [UInt8], mac1Key: [UInt8], cookie: Bytes16?) {
        let mac1Start = packet.count - 32
        let mac1 = mac(key: mac1Key, over: packet[..<mac1Start])
        packet.replaceSubrange(mac1Start..<(mac1Start + 16), with: mac1.bytes)
        if let cookie {
            let mac2 = mac(key: cookie.bytes, over: packet[..<(mac1Start + 16)])
            packet.replaceSubrange((mac1Start + 16)..<packet.count, with: mac2.bytes)
        }
    }
}

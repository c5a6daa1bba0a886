import MeshCore
public import MeshCrypto

/// The responder of a `Noise_IK_25519_AESGCM_SHA256` handshake; see `NoiseIKInitiator` for the pattern.
///
/// `readInitiation` performs two Diffie-Hellman operations on unauthenticated input, so the transport checks the
/// packet's MAC (and, under load, its cookie) before it creates a responder.
public struct NoiseIKResponder {
    /// The bytes the response adds to its payload: e (32) and the payload's tag (16).
    public static let responseOverhead = 32 + 16

    private enum Step {
        case awaitingInitiation
        case initiationRead(remoteStatic: X25519PublicKey, remoteEphemeral: X25519PublicKey)
        case finished
    }

    private var symmetric: NoiseSymmetricState
    private let localStatic: X25519PrivateKey
    private var step = Step.awaitingInitiation

    /// Prepares to answer an initiation addressed to `localStatic`.
    public init(prologue: [UInt8], localStatic: X25519PrivateKey) {
        self.localStatic = localStatic
        symmetric = NoiseSymmetricState(initial: NoiseIKInitiator.initialValues)
        symmetric.mixHash(prologue)
        symmetric.mixHash(localStatic.publicKey.rawValue.bytes)
    }

    /// Reads `-> e, es, s, ss` and the payload; returns the payload and the initiator's static key.
    /// - Parameter staticShared: returns DH(s, rs) for an initiator's static key if the caller kept it from an
    ///   earlier handshake (WireGuard precomputes it the same way); nil makes the responder compute it.
    /// - Throws: `malformedMessage`, `decryptionFailed` or `invalidPeerKey`. After a throw the handshake is dead.
    public mutating func readInitiation(
        _ message: [UInt8], staticShared: (X25519PublicKey) -> SymmetricKey? = { _ in nil }
    ) throws(NoiseError) -> (payload: [UInt8], remoteStatic: X25519PublicKey) {
        guard case .awaitingInitiation = step else { preconditionFailure("readInitiation called in step \(step)") }
        step = .finished
        let minimum = NoiseIKInitiator.initiationOverhead
        guard message.count >= minimum else { throw .malformedMessage(expectedAtLeast: minimum, actual: message.count) }
        let remoteEphemeral = X25519PublicKey(rawValue: Bytes32(message[0..<32])!)
        symmetric.mixHash(Array(message[0..<32]))
        symmetric.mixKey(try dh(localStatic, remoteEphemeral))
        let staticBytes = try symmetric.decryptAndHash(Array(message[32..<80]))
        let remoteStatic = X25519PublicKey(rawValue: Bytes32(staticBytes)!)
        if let known = staticShared(remoteStatic) {
            symmetric.mixKey(known)
        } else {
            symmetric.mixKey(try dh(localStatic, remoteStatic))
        }
        let payload = try symmetric.decryptAndHash(Array(message[80...]))
        step = .initiationRead(remoteStatic: remoteStatic, remoteEphemeral: remoteEphemeral)
        return (payload, remoteStatic)
    }

    /// Writes `<- e, ee, se` and the encrypted `payload`; returns the message and the transport keys.
    /// - Parameter ephemeral: a fresh key from a secure source (tests pass the vectors' keys).
    public mutating func writeResponse(
        payload: [UInt8], ephemeral: X25519PrivateKey
    ) throws(NoiseError) -> (
        message: [UInt8], keys: NoiseTransportKeys
    ) {
        guard case .initiationRead(let remoteStatic, let remoteEphemeral) = step else {
            preconditionFailure("writeResponse called in step \(step)")
        }
        step = .finished
        var message = ephemeral.publicKey.rawValue.bytes
        symmetric.mixHash(message)
        symmetric.mixKey(try dh(ephemeral, remoteEphemeral))
        symmetric.mixKey(try dh(ephemeral, remoteStatic))
        message += symmetric.encryptAndHash(payload)
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        return (
            message,
            NoiseTransportKeys(
                sending: responderToInitiator, receiving: initiatorToResponder,
                handshakeHash: symmetric.handshakeHash)
        )
    }
}

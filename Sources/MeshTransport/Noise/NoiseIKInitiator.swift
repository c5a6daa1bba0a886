import MeshCore
public import MeshCrypto

/// The initiator of a `Noise_IK_25519_AESGCM_SHA256` handshake (Noise spec, sections 5 and 7.5):
///
/// ```
/// IK:
///   <- s
///   ...
///   -> e, es, s, ss
///   <- e, ee, se
/// ```
///
/// A pure value: keys come in, bytes come out; the caller supplies the ephemeral key so that tests can replay the
/// published vectors and the simulator stays deterministic. Each step may be taken once, in order.
public struct NoiseIKInitiator {
    /// The Noise protocol name, hashed into the initial state.
    public static let protocolName = "Noise_IK_25519_AESGCM_SHA256"
    /// The bytes the first message adds to its payload: e (32), encrypted s (32 + 16), the payload's tag (16).
    public static let initiationOverhead = 32 + 48 + 16

    /// `ck` and `h` after InitializeSymmetric(protocol_name): the same for every handshake of both roles, so computed
    /// once (keys are immutable; a handshake's first MixKey replaces the chaining key with a new one).
    static let initialValues = NoiseSymmetricState.initialValues(protocolName: protocolName)

    private enum Step {
        case start
        case awaitingResponse
        case finished
    }

    private var symmetric: NoiseSymmetricState
    private let localStatic: X25519PrivateKey
    private let remoteStatic: X25519PublicKey
    private let ephemeral: X25519PrivateKey
    private let staticShared: SymmetricKey?
    private var step = Step.start

    /// Starts a handshake with the responder whose static key is `remoteStatic`.
    /// - Parameters:
    ///   - prologue: bytes both sides must agree on (SignalMesh binds the protocol version and network id).
    ///   - ephemeral: a fresh key from a secure source (tests pass the vectors' keys).
    ///   - staticShared: DH(s, rs), if the caller kept it from an earlier handshake with the same peer (WireGuard
    ///     precomputes it the same way); computed here otherwise.
    public init(
        prologue: [UInt8], localStatic: X25519PrivateKey, remoteStatic: X25519PublicKey, ephemeral: X25519PrivateKey,
        staticShared: SymmetricKey? = nil
    ) {
        self.staticShared = staticShared
        self.localStatic = localStatic
        self.remoteStatic = remoteStatic
        self.ephemeral = ephemeral
        symmetric = NoiseSymmetricState(initial: Self.initialValues)
        symmetric.mixHash(prologue)
        symmetric.mixHash(remoteStatic.rawValue.bytes)
    }

    /// Writes `-> e, es, s, ss` and the encrypted `payload`.
    /// - Throws: `invalidPeerKey` when the responder's static key is a low-order point.
    public mutating func writeInitiation(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard case .start = step else { preconditionFailure("writeInitiation called in step \(step)") }
        step = .awaitingResponse
        var message = ephemeral.publicKey.rawValue.bytes
        symmetric.mixHash(message)
        symmetric.mixKey(try dh(ephemeral, remoteStatic))
        message += symmetric.encryptAndHash(localStatic.publicKey.rawValue.bytes)
        if let staticShared {
            symmetric.mixKey(staticShared)
        } else {
            symmetric.mixKey(try dh(localStatic, remoteStatic))
        }
        message += symmetric.encryptAndHash(payload)
        return message
    }

    /// Reads `<- e, ee, se` and the response payload; returns the payload and the transport keys.
    /// - Throws: `malformedMessage`, `decryptionFailed` or `invalidPeerKey`. After a throw the handshake is dead.
    public mutating func readResponse(
        _ message: [UInt8]
    ) throws(NoiseError) -> (
        payload: [UInt8], keys: NoiseTransportKeys
    ) {
        guard case .awaitingResponse = step else { preconditionFailure("readResponse called in step \(step)") }
        step = .finished
        guard message.count >= 32 + 16 else { throw .malformedMessage(expectedAtLeast: 48, actual: message.count) }
        let remoteEphemeral = X25519PublicKey(rawValue: Bytes32(message[0..<32])!)
        symmetric.mixHash(Array(message[0..<32]))
        symmetric.mixKey(try dh(ephemeral, remoteEphemeral))
        symmetric.mixKey(try dh(localStatic, remoteEphemeral))
        let payload = try symmetric.decryptAndHash(Array(message[32...]))
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        return (
            payload,
            NoiseTransportKeys(
                sending: initiatorToResponder, receiving: responderToInitiator,
                handshakeHash: symmetric.handshakeHash)
        )
    }
}

/// DH(key_pair, public_key), refusing the all-zero result.
func dh(_ privateKey: X25519PrivateKey, _ publicKey: X25519PublicKey) throws(NoiseError) -> SymmetricKey {
    do {
        return try privateKey.sharedSecret(with: publicKey)
    } catch {
        throw .invalidPeerKey
    }
}

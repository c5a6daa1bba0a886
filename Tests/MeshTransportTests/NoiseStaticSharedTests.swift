import MeshCore
import MeshCrypto
import Testing

@testable import MeshTransport

/// A kept DH(s, rs) gives exactly the handshake a fresh computation gives, and a wrong one breaks it.
@Suite struct NoiseStaticSharedTests {
    static func keys(_ seed: UInt64) -> X25519PrivateKey {
        var random = SeededRandomBytes(seed: seed)
        return X25519PrivateKey(using: &random)
    }

    @Test func keptStaticSharedSecretGivesTheSameHandshake() throws {
        let initiatorStatic = Self.keys(1)
        let responderStatic = Self.keys(2)
        let shared = try initiatorStatic.sharedSecret(with: responderStatic.publicKey)
        var plain = NoiseIKInitiator(
            prologue: [1], localStatic: initiatorStatic, remoteStatic: responderStatic.publicKey,
            ephemeral: Self.keys(3))
        var cached = NoiseIKInitiator(
            prologue: [1], localStatic: initiatorStatic, remoteStatic: responderStatic.publicKey,
            ephemeral: Self.keys(3), staticShared: shared)
        let message = try plain.writeInitiation(payload: [9])
        #expect(try cached.writeInitiation(payload: [9]) == message)
        var responder = NoiseIKResponder(prologue: [1], localStatic: responderStatic)
        let (payload, _) = try responder.readInitiation(message) { _ in shared }
        #expect(payload == [9])
    }

    @Test func wrongKeptSecretFailsToAuthenticate() throws {
        let initiatorStatic = Self.keys(1)
        let responderStatic = Self.keys(2)
        var initiator = NoiseIKInitiator(
            prologue: [1], localStatic: initiatorStatic, remoteStatic: responderStatic.publicKey,
            ephemeral: Self.keys(3))
        let message = try initiator.writeInitiation(payload: [9])
        var responder = NoiseIKResponder(prologue: [1], localStatic: responderStatic)
        let wrong = try SymmetricKey(bytes: [UInt8](repeating: 7, count: 32))
        #expect(throws: NoiseError.decryptionFailed) { try responder.readInitiation(message) { _ in wrong } }
    }
}

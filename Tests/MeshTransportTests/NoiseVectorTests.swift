import Foundation
import MeshCore
import MeshCrypto
import MeshTransport
import Testing

/// The published `Noise_IK_25519_AESGCM_SHA256` vectors (cacophony and snow) in `../shared/vectors/noise`,
/// replayed byte for byte: both handshake messages, the handshake hash, and the transport messages that follow.
@Suite struct NoiseVectorTests {
    struct Vector: Decodable, CustomTestStringConvertible {
        struct Message: Decodable {
            var payload: String
            var ciphertext: String
        }
        var protocol_name: String
        var source_file: String?
        var init_prologue: String
        var init_static: String
        var init_ephemeral: String
        var init_remote_static: String
        var resp_prologue: String
        var resp_static: String
        var resp_ephemeral: String
        var handshake_hash: String?
        var messages: [Message]

        var testDescription: String { "\(protocol_name) from \(source_file ?? "?")" }
    }

    static let vectorsFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/vectors/noise/vectors.json")

    static let vectors: [Vector] = {
        // Other patterns in the file lack fields this suite needs, so filter before decoding.
        guard let data = try? Data(contentsOf: vectorsFile),
            let file = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let all = file["vectors"] as? [[String: Any]]
        else { return [] }
        let matching = all.filter { $0["protocol_name"] as? String == NoiseIKInitiator.protocolName }
        return matching.compactMap { entry in
            guard let json = try? JSONSerialization.data(withJSONObject: entry) else { return nil }
            return try? JSONDecoder().decode(Vector.self, from: json)
        }
    }()

    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: vectorsFile.path),
            "skipped: ../shared/vectors/noise/vectors.json is absent (the vectors live beside the checkout in CI)"))
    func publishedVectorsArePresent() {
        #expect(Self.vectors.count >= 2, "expected the cacophony and snow IK/AESGCM/SHA256 vectors")
    }

    @Test(arguments: vectors)
    func handshakeAndTransportMatchByteForByte(vector: Vector) throws {
        func bytes(_ hex: String) throws -> [UInt8] { try Hex.decode(hex) }
        let initiatorStatic = try X25519PrivateKey(rawRepresentation: bytes(vector.init_static))
        let responderStatic = try X25519PrivateKey(rawRepresentation: bytes(vector.resp_static))
        #expect(responderStatic.publicKey.rawValue.bytes == (try bytes(vector.init_remote_static)))

        var initiator = NoiseIKInitiator(
            prologue: try bytes(vector.init_prologue), localStatic: initiatorStatic,
            remoteStatic: responderStatic.publicKey,
            ephemeral: try X25519PrivateKey(rawRepresentation: bytes(vector.init_ephemeral)))
        var responder = NoiseIKResponder(prologue: try bytes(vector.resp_prologue), localStatic: responderStatic)

        let first = vector.messages[0]
        let initiation = try initiator.writeInitiation(payload: bytes(first.payload))
        #expect(Hex.encode(initiation) == first.ciphertext)
        let (firstPayload, remoteStatic) = try responder.readInitiation(initiation)
        #expect(Hex.encode(firstPayload) == first.payload)
        #expect(remoteStatic == initiatorStatic.publicKey)

        let second = vector.messages[1]
        let (response, responderKeys) = try responder.writeResponse(
            payload: bytes(second.payload),
            ephemeral: X25519PrivateKey(rawRepresentation: bytes(vector.resp_ephemeral)))
        #expect(Hex.encode(response) == second.ciphertext)
        let (secondPayload, initiatorKeys) = try initiator.readResponse(response)
        #expect(Hex.encode(secondPayload) == second.payload)

        if let hash = vector.handshake_hash {
            #expect(initiatorKeys.handshakeHash.description == hash)
            #expect(responderKeys.handshakeHash.description == hash)
        }
        #expect(initiatorKeys.sending == responderKeys.receiving)
        #expect(initiatorKeys.receiving == responderKeys.sending)

        // Transport messages alternate, initiator first; each direction counts its own nonces from zero.
        let initiatorCipher = AES256GCM(key: initiatorKeys.sending)
        let responderCipher = AES256GCM(key: responderKeys.sending)
        var nonces: (initiator: UInt64, responder: UInt64) = (0, 0)
        for (index, message) in vector.messages.enumerated().dropFirst(2) {
            let fromInitiator = index % 2 == 0
            let nonce = AESGCMNonce(counter: fromInitiator ? nonces.initiator : nonces.responder)
            let sealed = (fromInitiator ? initiatorCipher : responderCipher).seal(
                try bytes(message.payload), nonce: nonce)
            #expect(Hex.encode(sealed) == message.ciphertext, "transport message \(index)")
            if fromInitiator { nonces.initiator += 1 } else { nonces.responder += 1 }
        }
    }
}

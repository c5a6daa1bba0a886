import Foundation
import MeshCore
import MeshCrypto
import MeshTransport
import Testing

/// SignalMesh's own `Noise_IK_25519_AESGCM_SHA256` vectors (`Specs/vectors/transport/noise-ik.json`, written by
/// `Tools/noise-vectors.sh` with the independent `noiseprotocol` package), replayed byte for byte with SignalMesh's
/// identity scheme: static X25519 keys derived from Ed25519 seeds, the prologue of `TransportPrologue`. Then what the
/// vectors cannot show: how `NoiseIKInitiator` and `NoiseIKResponder` refuse altered, truncated and hostile messages.
///
/// The vectors are committed with the project, so none of these tests is ever skipped.
@Suite struct ProjectNoiseVectorTests {
    /// Bytes written as hexadecimal text in the JSON; comparisons use the text, which reads better in a failure.
    struct HexBytes: Decodable {
        var bytes: [UInt8]
        /// Lowercase, as `Hex.encode` writes it.
        var hex: String

        init(from decoder: any Decoder) throws {
            bytes = try Hex.decode(decoder.singleValueContainer().decode(String.self))
            hex = Hex.encode(bytes)
        }
    }

    /// One node's keys as the generator derived them.
    struct Node: Decodable {
        var ed25519Seed: HexBytes
        var ed25519Public: HexBytes
        var x25519Private: HexBytes
        var x25519Public: HexBytes
        var ephemeralPrivate: HexBytes
        var ephemeralPublic: HexBytes

        func identity() throws -> Ed25519PrivateKey { try Ed25519PrivateKey(seed: ed25519Seed.bytes) }
        func staticKey() throws -> X25519PrivateKey { try identity().x25519PrivateKey() }
        func ephemeralKey() throws -> X25519PrivateKey {
            try X25519PrivateKey(rawRepresentation: ephemeralPrivate.bytes)
        }
    }

    struct Message: Decodable {
        enum Sender: String, Decodable {
            case initiator
            case responder
        }

        /// Set on transport messages only; handshake messages go initiator, then responder.
        var sender: Sender?
        var payload: HexBytes
        var ciphertext: HexBytes
    }

    struct Vector: Decodable, CustomTestStringConvertible {
        enum Expectation: String, Decodable {
            /// The handshake completes and every message matches.
            case success
            /// The responder cannot authenticate the initiation.
            case decryptFailure = "decrypt_failure"
        }

        var summary: String
        var expect: Expectation
        var network: String
        var prologue: HexBytes
        /// Present when the responder binds a different network than the initiator.
        var responderNetwork: String?
        var responderPrologue: HexBytes?
        var initiator: Node
        var responder: Node
        var handshake: [Message]
        var handshakeHash: HexBytes?
        var transport: [Message]?

        var testDescription: String { summary }

        enum CodingKeys: String, CodingKey {
            case summary = "description"
            case expect, network, prologue, responderNetwork, responderPrologue, initiator, responder, handshake
            case handshakeHash, transport
        }
    }

    struct VectorFile: Decodable {
        var protocolName: String
        var vectors: [Vector]
    }

    static let vectorsFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Specs/vectors/transport/noise-ik.json")

    static let loaded = Result { () throws -> VectorFile in
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(VectorFile.self, from: Data(contentsOf: vectorsFile))
    }

    static var vectors: [Vector] { (try? loaded.get())?.vectors ?? [] }
    static var successVectors: [Vector] { vectors.filter { $0.expect == .success } }
    static var failureVectors: [Vector] { vectors.filter { $0.expect == .decryptFailure } }

    // MARK: - The vectors

    @Test func vectorFileLoadsAndCoversBothOutcomes() throws {
        let file = try Self.loaded.get()
        #expect(file.protocolName == NoiseIKInitiator.protocolName)
        #expect(Self.successVectors.count >= 4)
        #expect(Self.failureVectors.count >= 1)
        #expect(Set(file.vectors.map(\.network)).isSuperset(of: ["main", "devnet"]))
    }

    @Test(arguments: vectors)
    func staticKeysDeriveFromTheEd25519Seeds(vector: Vector) throws {
        for node in [vector.initiator, vector.responder] {
            let identity = try node.identity()
            #expect(identity.publicKey.rawValue.description == node.ed25519Public.hex)
            let staticKey = identity.x25519PrivateKey()
            #expect(staticKey.withUnsafeRawRepresentation { Hex.encode($0) } == node.x25519Private.hex)
            #expect(staticKey.publicKey.description == node.x25519Public.hex)
            #expect(try identity.publicKey.x25519PublicKey() == staticKey.publicKey)
            #expect(try node.ephemeralKey().publicKey.description == node.ephemeralPublic.hex)
        }
    }

    @Test(arguments: vectors)
    func prologueIsTheTransportPrologue(vector: Vector) throws {
        #expect(Hex.encode(TransportPrologue.bytes(network: vector.network)) == vector.prologue.hex)
        if let network = vector.responderNetwork {
            let prologue = try #require(vector.responderPrologue)
            #expect(Hex.encode(TransportPrologue.bytes(network: network)) == prologue.hex)
        }
    }

    @Test(arguments: successVectors)
    func handshakeAndTransportMatchByteForByte(vector: Vector) throws {
        let prologue = TransportPrologue.bytes(network: vector.network)
        let responderStatic = try vector.responder.staticKey()
        var initiator = NoiseIKInitiator(
            prologue: prologue, localStatic: try vector.initiator.staticKey(), remoteStatic: responderStatic.publicKey,
            ephemeral: try vector.initiator.ephemeralKey())
        var responder = NoiseIKResponder(prologue: prologue, localStatic: responderStatic)
        try #require(vector.handshake.count == 2)

        let first = vector.handshake[0]
        let initiation = try initiator.writeInitiation(payload: first.payload.bytes)
        #expect(Hex.encode(initiation) == first.ciphertext.hex)
        let (firstPayload, remoteStatic) = try responder.readInitiation(initiation)
        #expect(Hex.encode(firstPayload) == first.payload.hex)
        #expect(remoteStatic.description == vector.initiator.x25519Public.hex)

        let second = vector.handshake[1]
        let (response, responderKeys) = try responder.writeResponse(
            payload: second.payload.bytes, ephemeral: try vector.responder.ephemeralKey())
        #expect(Hex.encode(response) == second.ciphertext.hex)
        let (secondPayload, initiatorKeys) = try initiator.readResponse(response)
        #expect(Hex.encode(secondPayload) == second.payload.hex)

        let handshakeHash = try #require(vector.handshakeHash)
        #expect(initiatorKeys.handshakeHash.description == handshakeHash.hex)
        #expect(responderKeys.handshakeHash.description == handshakeHash.hex)

        // Each direction has its own key and counts its own nonces from zero.
        let transport = try #require(vector.transport)
        #expect(transport.count >= 4)
        var sent: (initiator: UInt64, responder: UInt64) = (0, 0)
        for (index, message) in transport.enumerated() {
            let sender = try #require(message.sender)
            let (keys, peerKeys) =
                sender == .initiator ? (initiatorKeys, responderKeys) : (responderKeys, initiatorKeys)
            let nonce = AESGCMNonce(counter: sender == .initiator ? sent.initiator : sent.responder)
            let sealed = AES256GCM(key: keys.sending).seal(message.payload.bytes, nonce: nonce)
            #expect(Hex.encode(sealed) == message.ciphertext.hex, "transport message \(index) from the \(sender)")
            #expect(try AES256GCM(key: peerKeys.receiving).open(sealed, nonce: nonce) == message.payload.bytes)
            if sender == .initiator { sent.initiator += 1 } else { sent.responder += 1 }
        }
    }

    @Test(arguments: failureVectors)
    func initiationUnderAnotherNetworkFailsToDecrypt(vector: Vector) throws {
        let responderNetwork = try #require(vector.responderNetwork)
        #expect(responderNetwork != vector.network)
        let responderStatic = try vector.responder.staticKey()
        var initiator = NoiseIKInitiator(
            prologue: TransportPrologue.bytes(network: vector.network), localStatic: try vector.initiator.staticKey(),
            remoteStatic: responderStatic.publicKey, ephemeral: try vector.initiator.ephemeralKey())
        let first = try #require(vector.handshake.first)
        let initiation = try initiator.writeInitiation(payload: first.payload.bytes)
        #expect(Hex.encode(initiation) == first.ciphertext.hex)

        var responder = NoiseIKResponder(
            prologue: TransportPrologue.bytes(network: responderNetwork), localStatic: responderStatic)
        #expect(throws: NoiseError.decryptionFailed) { try responder.readInitiation(initiation) }
    }

    // MARK: - Refusals the vectors do not show

    /// A vector's keys and messages, set up for altering: the initiation carries a 12-byte timestamp and the
    /// response a payload, so every field of both messages is present.
    struct Handshake {
        let vector: Vector
        let prologue: [UInt8]
        let initiation: [UInt8]
        let response: [UInt8]

        init() throws {
            vector = try #require(
                ProjectNoiseVectorTests.successVectors.first {
                    $0.handshake.allSatisfy { !$0.payload.bytes.isEmpty }
                })
            prologue = TransportPrologue.bytes(network: vector.network)
            initiation = vector.handshake[0].ciphertext.bytes
            response = vector.handshake[1].ciphertext.bytes
        }

        func initiator() throws -> NoiseIKInitiator {
            NoiseIKInitiator(
                prologue: prologue, localStatic: try vector.initiator.staticKey(),
                remoteStatic: try vector.responder.staticKey().publicKey, ephemeral: try vector.initiator.ephemeralKey()
            )
        }

        func responder() throws -> NoiseIKResponder {
            NoiseIKResponder(prologue: prologue, localStatic: try vector.responder.staticKey())
        }

        /// An initiator that has written its initiation and waits for the response.
        func initiatorAwaitingResponse() throws -> NoiseIKInitiator {
            var initiator = try initiator()
            #expect(try initiator.writeInitiation(payload: vector.handshake[0].payload.bytes) == initiation)
            return initiator
        }
    }

    /// Low-order X25519 points (and non-canonical encodings of them): every DH with one is all zeros.
    static let lowOrderPoints: [String] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ]

    /// The fields of a handshake message, where altering any byte must make it fail.
    enum Field: String, CustomTestStringConvertible {
        case ephemeralKey
        case encryptedStaticKey
        case payload

        var testDescription: String { rawValue }

        /// The bytes of this field in an initiation (`e`, encrypted `s`, encrypted payload) of `count` bytes.
        func rangeInInitiation(count: Int) -> Range<Int> {
            switch self {
            case .ephemeralKey: 0..<32
            case .encryptedStaticKey: 32..<80
            case .payload: 80..<count
            }
        }

        /// The bytes of this field in a response (`e`, encrypted payload) of `count` bytes; nil if it has none.
        func rangeInResponse(count: Int) -> Range<Int>? {
            switch self {
            case .ephemeralKey: 0..<32
            case .encryptedStaticKey: nil
            case .payload: 32..<count
            }
        }
    }

    @Test(arguments: [Field.ephemeralKey, .encryptedStaticKey, .payload])
    func alteredInitiationFailsToDecrypt(field: Field) throws {
        let handshake = try Handshake()
        for index in field.rangeInInitiation(count: handshake.initiation.count) {
            var altered = handshake.initiation
            altered[index] ^= 0x01
            var responder = try handshake.responder()
            #expect(throws: NoiseError.decryptionFailed, "\(field), byte \(index)") {
                try responder.readInitiation(altered)
            }
        }
    }

    @Test func initiationToAnotherStaticKeyFailsToDecrypt() throws {
        let handshake = try Handshake()
        let other = try #require(
            ProjectNoiseVectorTests.successVectors.first { $0.summary != handshake.vector.summary })
        var responder = NoiseIKResponder(prologue: handshake.prologue, localStatic: try other.responder.staticKey())
        #expect(throws: NoiseError.decryptionFailed) { try responder.readInitiation(handshake.initiation) }
    }

    @Test(arguments: [0, 1, 32, 80, 95])
    func initiationShorterThanItsFixedFieldsIsMalformed(length: Int) throws {
        let handshake = try Handshake()
        var responder = try handshake.responder()
        #expect(throws: NoiseError.malformedMessage(expectedAtLeast: 96, actual: length)) {
            try responder.readInitiation(Array(handshake.initiation.prefix(length)))
        }
    }

    @Test func initiationCutInsideItsPayloadFailsToDecrypt() throws {
        let handshake = try Handshake()
        var responder = try handshake.responder()
        #expect(throws: NoiseError.decryptionFailed) {
            try responder.readInitiation(Array(handshake.initiation.dropLast()))
        }
    }

    @Test(arguments: lowOrderPoints)
    func lowOrderResponderStaticKeyIsRefusedBeforeWriting(point: String) throws {
        let handshake = try Handshake()
        var initiator = NoiseIKInitiator(
            prologue: handshake.prologue, localStatic: try handshake.vector.initiator.staticKey(),
            remoteStatic: try X25519PublicKey(bytes: Hex.decode(point)),
            ephemeral: try handshake.vector.initiator.ephemeralKey())
        #expect(throws: NoiseError.invalidPeerKey) { try initiator.writeInitiation(payload: []) }
    }

    @Test(arguments: lowOrderPoints)
    func initiationWithLowOrderEphemeralKeyIsRefused(point: String) throws {
        let handshake = try Handshake()
        var responder = try handshake.responder()
        let altered = try Hex.decode(point) + handshake.initiation.dropFirst(32)
        #expect(throws: NoiseError.invalidPeerKey) { try responder.readInitiation(altered) }
    }

    @Test(arguments: [Field.ephemeralKey, .payload])
    func alteredResponseFailsToDecrypt(field: Field) throws {
        let handshake = try Handshake()
        let range = try #require(field.rangeInResponse(count: handshake.response.count))
        for index in range {
            // The top bit too: X25519 ignores it in a public key, but the handshake hash covers every bit.
            for bit in [UInt8(0x01), 0x80] {
                var altered = handshake.response
                altered[index] ^= bit
                var initiator = try handshake.initiatorAwaitingResponse()
                #expect(throws: NoiseError.decryptionFailed, "\(field), byte \(index), bit mask \(bit)") {
                    try initiator.readResponse(altered)
                }
            }
        }
    }

    @Test(arguments: [0, 31, 32, 47])
    func responseShorterThanItsFixedFieldsIsMalformed(length: Int) throws {
        let handshake = try Handshake()
        var initiator = try handshake.initiatorAwaitingResponse()
        #expect(throws: NoiseError.malformedMessage(expectedAtLeast: 48, actual: length)) {
            try initiator.readResponse(Array(handshake.response.prefix(length)))
        }
    }

    @Test(arguments: lowOrderPoints)
    func responseWithLowOrderEphemeralKeyIsRefused(point: String) throws {
        let handshake = try Handshake()
        var initiator = try handshake.initiatorAwaitingResponse()
        let altered = try Hex.decode(point) + handshake.response.dropFirst(32)
        #expect(throws: NoiseError.invalidPeerKey) { try initiator.readResponse(altered) }
    }
}

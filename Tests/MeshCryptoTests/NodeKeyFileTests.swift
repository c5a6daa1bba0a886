import MeshCore
import MeshCrypto
import PropertyBased
import Testing

/// The key file of RFC 8032's TEST 1 key, built from the published seed and public key rather than from `encode`.
enum TestKeyFile {
    static let seed = rfc8032Vectors[0].seed
    static let nodeID = NodeID(publicKey: bytes32(rfc8032Vectors[0].publicKey)).text
    static let header = "signalmesh-node-key v1"
    static let seedLine = "ed25519-seed \(seed)"
    static let nodeIDLine = "node-id \(nodeID)"

    /// `lines`, each followed by a newline, as file contents.
    static func contents(_ lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// The well-formed file.
    static var wellFormed: [UInt8] { contents([header, seedLine, nodeIDLine]) }
}

@Suite("Node key file")
struct NodeKeyFileTests {
    // MARK: Encoding and decoding

    @Test("the RFC 8032 TEST 1 key encodes as header, seed and the node id of its published public key")
    func encodingOfPublishedKey() {
        #expect(NodeKeyFile.encode(rfc8032Vectors[0].privateKey) == TestKeyFile.wellFormed)
    }

    @Test("the file's node id is NodeID(publicKey:) of the RFC 8032 TEST 1 public key")
    func fileNodeIDIsThePublicKeysNodeID() throws {
        let key = try NodeKeyFile.decode(TestKeyFile.wellFormed)
        #expect(key.nodeID == NodeID(publicKey: bytes32(rfc8032Vectors[0].publicKey)))
        #expect(key.nodeID.text == TestKeyFile.nodeID)
    }

    @Test("decoding the well-formed file gives the key with the published seed and public key")
    func decodingWellFormedFile() throws {
        let key = try NodeKeyFile.decode(TestKeyFile.wellFormed)
        #expect(key.withUnsafeSeed { Hex.encode($0) } == TestKeyFile.seed)
        #expect(key.publicKey.rawValue == bytes32(rfc8032Vectors[0].publicKey))
    }

    @Test("any key survives encoding then decoding")
    func roundTrip() async {
        await propertyCheck(input: Gen.uint8().array(of: 32)) { seed in
            let key = try Ed25519PrivateKey(seed: seed)
            let decoded = try NodeKeyFile.decode(NodeKeyFile.encode(key))
            #expect(decoded.withUnsafeSeed { Array($0) } == seed)
            #expect(decoded.publicKey == key.publicKey)
        }
    }

    @Test("the field lines may come in either order")
    func fieldOrderIsFree() throws {
        let swapped = TestKeyFile.contents([TestKeyFile.header, TestKeyFile.nodeIDLine, TestKeyFile.seedLine])
        #expect(try NodeKeyFile.decode(swapped).publicKey == rfc8032Vectors[0].privateKey.publicKey)
    }

    @Test("Windows line endings are accepted")
    func crlfIsAccepted() throws {
        let text = [TestKeyFile.header, TestKeyFile.seedLine, TestKeyFile.nodeIDLine].map { $0 + "\r\n" }.joined()
        #expect(try NodeKeyFile.decode(Array(text.utf8)).publicKey == rfc8032Vectors[0].privateKey.publicKey)
    }

    @Test("a missing final newline is accepted")
    func missingFinalNewlineIsAccepted() throws {
        let text = [TestKeyFile.header, TestKeyFile.seedLine, TestKeyFile.nodeIDLine].joined(separator: "\n")
        #expect(try NodeKeyFile.decode(Array(text.utf8)).publicKey == rfc8032Vectors[0].privateKey.publicKey)
    }

    @Test("uppercase hexadecimal in the seed is accepted")
    func uppercaseSeedIsAccepted() throws {
        let file = TestKeyFile.contents([
            TestKeyFile.header, "ed25519-seed \(TestKeyFile.seed.uppercased())", TestKeyFile.nodeIDLine,
        ])
        #expect(try NodeKeyFile.decode(file).publicKey == rfc8032Vectors[0].privateKey.publicKey)
    }

    // MARK: Refusals

    @Test("an empty file is not a key file")
    func emptyFileIsRefused() {
        #expect(throws: NodeKeyFile.ParseError.notAKeyFile) { try NodeKeyFile.decode([]) }
    }

    @Test("a file that is not UTF-8 is not a key file")
    func nonUTF8IsRefused() {
        #expect(throws: NodeKeyFile.ParseError.notAKeyFile) {
            try NodeKeyFile.decode([0xff, 0xfe] + TestKeyFile.wellFormed)
        }
    }

    @Test(
        "a file with another first line is not a key file",
        arguments: [
            "signalmesh-key v1", "signalmesh-node-key", "signalmesh-node-key v1 extra", "# signalmesh-node-key v1",
        ])
    func wrongHeaderIsRefused(header: String) {
        let file = TestKeyFile.contents([header, TestKeyFile.seedLine, TestKeyFile.nodeIDLine])
        #expect(throws: NodeKeyFile.ParseError.notAKeyFile) { try NodeKeyFile.decode(file) }
    }

    @Test("a file of another version is refused and names its version")
    func otherVersionIsRefused() {
        let file = TestKeyFile.contents(["signalmesh-node-key v2", TestKeyFile.seedLine, TestKeyFile.nodeIDLine])
        #expect(throws: NodeKeyFile.ParseError.unsupportedVersion("v2")) { try NodeKeyFile.decode(file) }
    }

    @Test("a file without a seed line is refused")
    func missingSeedIsRefused() {
        let file = TestKeyFile.contents([TestKeyFile.header, TestKeyFile.nodeIDLine])
        #expect(throws: NodeKeyFile.ParseError.missingField("ed25519-seed")) { try NodeKeyFile.decode(file) }
    }

    @Test("a file without a node id line is refused")
    func missingNodeIDIsRefused() {
        let file = TestKeyFile.contents([TestKeyFile.header, TestKeyFile.seedLine])
        #expect(throws: NodeKeyFile.ParseError.missingField("node-id")) { try NodeKeyFile.decode(file) }
    }

    @Test("a header alone is refused for its missing seed")
    func headerAloneIsRefused() {
        #expect(throws: NodeKeyFile.ParseError.missingField("ed25519-seed")) {
            try NodeKeyFile.decode(TestKeyFile.contents([TestKeyFile.header]))
        }
    }

    @Test("an extra line is refused with its line number")
    func extraLineIsRefused() {
        let file = TestKeyFile.contents([
            TestKeyFile.header, TestKeyFile.seedLine, TestKeyFile.nodeIDLine, "comment yes",
        ])
        #expect(throws: NodeKeyFile.ParseError.unexpectedLine(number: 4)) { try NodeKeyFile.decode(file) }
    }

    @Test("a blank line is refused with its line number")
    func blankLineIsRefused() {
        let file = TestKeyFile.contents([TestKeyFile.header, "", TestKeyFile.seedLine, TestKeyFile.nodeIDLine])
        #expect(throws: NodeKeyFile.ParseError.unexpectedLine(number: 2)) { try NodeKeyFile.decode(file) }
    }

    @Test("a repeated seed line is refused with its line number")
    func repeatedSeedLineIsRefused() {
        let file = TestKeyFile.contents([
            TestKeyFile.header, TestKeyFile.seedLine, TestKeyFile.seedLine, TestKeyFile.nodeIDLine,
        ])
        #expect(throws: NodeKeyFile.ParseError.unexpectedLine(number: 3)) { try NodeKeyFile.decode(file) }
    }

    @Test("a seed that is not hexadecimal is refused with the hex decoder's reason")
    func nonHexSeedIsRefused() {
        var seed = Array(TestKeyFile.seed)
        seed[10] = "g"
        let file = TestKeyFile.contents([TestKeyFile.header, "ed25519-seed \(String(seed))", TestKeyFile.nodeIDLine])
        let reason = Hex.DecodeError.invalidCharacter("g", offset: 10).description
        #expect(throws: NodeKeyFile.ParseError.invalidSeed(reason)) { try NodeKeyFile.decode(file) }
    }

    @Test("a seed with an odd number of digits is refused with the hex decoder's reason")
    func oddLengthSeedIsRefused() {
        let file = TestKeyFile.contents([
            TestKeyFile.header, "ed25519-seed \(TestKeyFile.seed.dropLast())", TestKeyFile.nodeIDLine,
        ])
        let reason = Hex.DecodeError.oddLength(63).description
        #expect(throws: NodeKeyFile.ParseError.invalidSeed(reason)) { try NodeKeyFile.decode(file) }
    }

    @Test("a seed of the wrong length is refused", arguments: [0, 31, 33, 64])
    func wrongSeedLengthIsRefused(length: Int) {
        let seedText = Hex.encode(repeated(0x5a, count: length))
        let file = TestKeyFile.contents([TestKeyFile.header, "ed25519-seed \(seedText)", TestKeyFile.nodeIDLine])
        let error = #expect(throws: NodeKeyFile.ParseError.self) { try NodeKeyFile.decode(file) }
        guard case .invalidSeed(let reason) = error else {
            Issue.record("expected invalidSeed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("\(length) bytes"))
    }

    @Test("a seed edited by one character no longer matches the node id and the file is refused")
    func editedSeedIsRefused() throws {
        var seed = Array(TestKeyFile.seed)
        seed[0] = seed[0] == "0" ? "1" : "0"
        let editedSeed = String(seed)
        let file = TestKeyFile.contents([TestKeyFile.header, "ed25519-seed \(editedSeed)", TestKeyFile.nodeIDLine])
        let derived = try Ed25519PrivateKey(seed: bytes(editedSeed)).nodeID.text
        #expect(throws: NodeKeyFile.ParseError.nodeIDMismatch(stored: TestKeyFile.nodeID, derived: derived)) {
            try NodeKeyFile.decode(file)
        }
    }

    @Test("a node id with a mistyped character is refused as an invalid node id")
    func mistypedNodeIDIsRefused() {
        var nodeID = Array(TestKeyFile.nodeID)
        nodeID[nodeID.count - 1] = nodeID.last == "q" ? "p" : "q"
        let file = TestKeyFile.contents([TestKeyFile.header, TestKeyFile.seedLine, "node-id \(String(nodeID))"])
        let reason = NodeID.ParseError.checksumMismatch.description
        #expect(throws: NodeKeyFile.ParseError.invalidNodeID(reason)) { try NodeKeyFile.decode(file) }
    }

    @Test("a node id of another key is refused as a mismatch")
    func otherNodeIDIsRefused() {
        let otherID = rfc8032Vectors[1].privateKey.nodeID.text
        let file = TestKeyFile.contents([TestKeyFile.header, TestKeyFile.seedLine, "node-id \(otherID)"])
        #expect(throws: NodeKeyFile.ParseError.nodeIDMismatch(stored: otherID, derived: TestKeyFile.nodeID)) {
            try NodeKeyFile.decode(file)
        }
    }

    @Test("a file larger than the limit is refused before it is read")
    func oversizedFileIsRefused() {
        let file = TestKeyFile.wellFormed + repeated(UInt8(ascii: "\n"), count: NodeKeyFile.maxSize)
        #expect(throws: NodeKeyFile.ParseError.tooLarge(file.count)) { try NodeKeyFile.decode(file) }
    }

    @Test("a file of exactly the limit is read, not refused for its size")
    func fileAtLimitIsRead() {
        let file = repeated(UInt8(ascii: "x"), count: NodeKeyFile.maxSize)
        #expect(throws: NodeKeyFile.ParseError.notAKeyFile) { try NodeKeyFile.decode(file) }
    }

    @Test("a file one byte over the limit is refused for its size")
    func fileOneOverLimitIsRefused() {
        let file = repeated(UInt8(ascii: "x"), count: NodeKeyFile.maxSize + 1)
        #expect(throws: NodeKeyFile.ParseError.tooLarge(NodeKeyFile.maxSize + 1)) { try NodeKeyFile.decode(file) }
    }

    @Test("every refusal explains itself")
    func refusalsHaveDescriptions() {
        let errors: [NodeKeyFile.ParseError] = [
            .tooLarge(2000), .notAKeyFile, .unsupportedVersion("v2"), .missingField("node-id"),
            .unexpectedLine(number: 4), .invalidSeed("odd"), .invalidNodeID("bad"),
            .nodeIDMismatch(stored: "sm1a", derived: "sm1b"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
        }
        #expect(NodeKeyFile.ParseError.unexpectedLine(number: 4).description.contains("4"))
        #expect(NodeKeyFile.ParseError.unsupportedVersion("v2").description.contains("v2"))
    }
}

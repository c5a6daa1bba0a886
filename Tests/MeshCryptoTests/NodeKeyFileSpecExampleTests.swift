import Foundation
import MeshCore
import MeshCrypto
import Testing

/// The key-file example in `Specs/wire.md`, section 9, byte for byte.
@Suite struct NodeKeyFileSpecExampleTests {
    static let example = """
        signalmesh-node-key v1
        ed25519-seed 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
        node-id sm16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydq7hej07

        """

    @Test func specExampleEncodesByteForByte() throws {
        let key = try Ed25519PrivateKey(
            seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(NodeKeyFile.encode(key) == Array(Self.example.utf8))
    }

    @Test func specExampleDecodes() throws {
        let key = try NodeKeyFile.decode(Array(Self.example.utf8))
        #expect(key.nodeID.text == "sm16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydq7hej07")
    }

    @Test func windowsLineEndsAndMissingFinalNewlineAreAccepted() throws {
        let crlf = Self.example.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try NodeKeyFile.decode(Array(crlf.utf8)).nodeID.shortText == "sm16adfsqvzk")
        #expect(try NodeKeyFile.decode(Array(Self.example.dropLast().utf8)).nodeID.shortText == "sm16adfsqvzk")
    }
}

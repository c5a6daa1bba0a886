import MeshCore
import MeshCrypto
import MeshWire
import PropertyBased
import Testing

@testable import MeshMembership

@Suite("Peer records")
struct PeerRecordTests {
    static let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: 7, count: 32))
    static let record = PeerRecord(
        key: key, seq: 3, issuedAt: Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000), roles: [.seed],
        addresses: [try! SocketAddress(text: "192.0.2.7:47000"), try! SocketAddress(text: "[2001:db8::7]:47000")])

    @Test("a record survives encoding and decoding, signature included")
    func roundTrip() throws {
        let decoded = try PeerRecord(decoding: Self.record.encoded)
        #expect(decoded == Self.record)
        #expect(decoded.roles == [.seed])
        #expect(Self.record.encoded.count <= PeerRecord.maxEncodedSize)
    }

    @Test("changing any byte before the signature breaks the signature or the format")
    func everyByteIsCovered() {
        let bytes = Self.record.encoded
        for index in 0..<(bytes.count - 64) {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(throws: PeerRecordError.self, "byte \(index)") { try PeerRecord(decoding: changed) }
        }
    }

    @Test("a record re-signed by another key under this node's id fails")
    func forgedSigner() throws {
        let other = try Ed25519PrivateKey(seed: [UInt8](repeating: 8, count: 32))
        let forged = PeerRecord(
            key: other, seq: 9, issuedAt: Self.record.issuedAt, addresses: Self.record.addresses)
        var bytes = forged.encoded
        // Put the victim's id in place of the signer's: the signature no longer matches the id.
        bytes.replaceSubrange(1..<33, with: Self.key.nodeID.publicKey.bytes)
        #expect(throws: PeerRecordError.invalidSignature(Self.key.nodeID)) { try PeerRecord(decoding: bytes) }
    }

    @Test("the verification memo remembers successes only: a record verified before, altered, still fails")
    func memoKeepsOnlySuccesses() throws {
        let bytes = Self.record.encoded
        // Verified (and remembered) twice over: the second decode is answered by the memo.
        _ = try PeerRecord(decoding: bytes)
        #expect(try PeerRecord(decoding: bytes) == Self.record)
        // The same record with its signature's last byte changed is checked for real and refused, every time.
        var altered = bytes
        altered[altered.count - 1] ^= 0x01
        for _ in 0..<2 {
            #expect(throws: PeerRecordError.invalidSignature(Self.key.nodeID)) { try PeerRecord(decoding: altered) }
        }
        // The memo answers exactly what verification answers.
        let signature = Self.record.signature
        let message = PeerRecord.context + Array(bytes.dropLast(64))
        let key = Ed25519PublicKey(Self.key.nodeID)
        #expect(
            VerifiedSignatures.isValid(signature, for: message, key: key)
                == key.isValidSignature(signature, for: message))
        #expect(!VerifiedSignatures.isValid(signature, for: message + [0], key: key))
    }

    @Test(
        "bytes equal to a record decoded before decode to it (shared), exactly its length; any other bytes are parsed")
    func decodedRecordsAreShared() throws {
        let bytes = Self.record.encoded
        let first = try PeerRecord(decoding: bytes)
        // Followed by more bytes: the known record is read, its length and no more.
        var reader = WireReader(bytes + [0xAB, 0xCD])
        let again = try PeerRecord(from: &reader)
        #expect(again == first)
        #expect(reader.offset == bytes.count)
        #expect(try reader.readUInt8("after") == 0xAB)
        // Changed anywhere (the node id the table is keyed by left as it is), the bytes are not the known record.
        for index in [0, 40, bytes.count - 65, bytes.count - 1] {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(throws: PeerRecordError.self, "byte \(index)") { try PeerRecord(decoding: changed) }
        }
        // A newer record of the same node replaces the known one; the older still decodes (parsed and verified).
        let newer = PeerRecord(
            key: Self.key, seq: Self.record.seq + 1, issuedAt: Self.record.issuedAt, addresses: Self.record.addresses)
        #expect(try PeerRecord(decoding: newer.encoded) == newer)
        #expect(try PeerRecord(decoding: bytes) == Self.record)
        // Truncated by one byte, a known record is malformed, as when it was unknown.
        #expect(throws: PeerRecordError.self) { try PeerRecord(decoding: Array(bytes.dropLast())) }
    }

    @Test("every truncation is refused as malformed, and the reader is left where it was")
    func truncations() {
        let bytes = Self.record.encoded
        for length in 0..<bytes.count {
            var reader = WireReader(Array(bytes[..<length]))
            do {
                _ = try PeerRecord(from: &reader)
                Issue.record("accepted \(length) of \(bytes.count) bytes")
            } catch {
                guard case .malformed = error else {
                    Issue.record("\(error) at length \(length)")
                    continue
                }
                #expect(reader.offset == 0)
            }
        }
    }

    @Test("unknown roles, address families, port 0 and too many addresses are refused")
    func invalidFields() {
        var writer = WireWriter()
        writer.writeUInt8(1)
        writer.writeBytes32(Self.key.nodeID.publicKey)
        writer.writeVarint(1)
        writer.writeInt64(0)
        let header = writer.take()
        func body(roles: UInt8, count: UInt64, address: [UInt8]) -> [UInt8] {
            var writer = WireWriter()
            writer.writeUInt8(roles)
            writer.writeVarint(count)
            for _ in 0..<min(count, 9) { writer.writeBytes(address) }
            writer.writeBytes64(Bytes64([UInt8](repeating: 0, count: 64))!)
            return header + writer.take()
        }
        let good: [UInt8] = [4, 192, 0, 2, 1, 0x1F, 0x90]
        let cases: [([UInt8], String)] = [
            (body(roles: 0x80, count: 1, address: good), "roles"),
            (body(roles: 0, count: 1, address: [5, 1, 2, 3, 4, 0, 1]), "address family"),
            (body(roles: 0, count: 1, address: [4, 192, 0, 2, 1, 0, 0]), "port"),
            (body(roles: 0, count: 0, address: good), "addresses"),
            (body(roles: 0, count: 9, address: good), "addresses"),
        ]
        for (bytes, field) in cases {
            do {
                _ = try PeerRecord(decoding: bytes)
                Issue.record("accepted a record with a bad \(field)")
            } catch {
                #expect(error.description.contains(field), "\(error.description)")
            }
        }
    }

    @Test("random bytes never crash the decoder")
    func randomBytes() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...300)) { bytes in
            _ = try? PeerRecord(decoding: bytes)
        }
    }

    @Test("a higher seq supersedes; another node's record never does")
    func supersedes() {
        let newer = PeerRecord(
            key: Self.key, seq: 4, issuedAt: Self.record.issuedAt, addresses: [try! SocketAddress(text: "192.0.2.8:1")])
        #expect(newer.supersedes(Self.record))
        #expect(!Self.record.supersedes(newer))
        let other = PeerRecord(
            key: try! Ed25519PrivateKey(seed: [UInt8](repeating: 9, count: 32)), seq: 99,
            issuedAt: Self.record.issuedAt, addresses: Self.record.addresses)
        #expect(!other.supersedes(Self.record))
    }
}

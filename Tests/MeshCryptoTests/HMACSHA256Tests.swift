import MeshCore
import MeshCrypto
import PropertyBased
import Testing

/// One HMAC-SHA-256 test case: key, data and the expected MAC, or its first bytes when the case is truncated.
struct HMACVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: [UInt8]
    let data: [UInt8]
    let mac: String

    var testDescription: String { name }
    /// Whether the published MAC is only a prefix (RFC 4231 test case 5 truncates to 128 bits).
    var isTruncated: Bool { bytes(mac).count < HMACSHA256.length }
}

// RFC 4231, section 4 "Test Vectors": test cases 1 to 7 (sections 4.2 to 4.8), HMAC-SHA-256 rows. Data is copied in
// hex as printed; the ASCII the RFC gives alongside is in the comments.
let rfc4231Vectors: [HMACVector] = [
    HMACVector(
        name: "test case 1 (4.2)",
        key: repeated(0x0b, count: 20),
        data: bytes("4869205468657265"),  // "Hi There"
        mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    HMACVector(
        name: "test case 2 (4.3), key shorter than the MAC",
        key: bytes("4a656665"),  // "Jefe"
        data: bytes(
            "7768617420646f2079612077616e7420",  // "what do ya want "
            "666f72206e6f7468696e673f"),  // "for nothing?"
        mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    HMACVector(
        name: "test case 3 (4.4), combined length of key and data above 64 bytes",
        key: repeated(0xaa, count: 20),
        data: repeated(0xdd, count: 50),
        mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    HMACVector(
        name: "test case 4 (4.5)",
        key: bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"),
        data: repeated(0xcd, count: 50),
        mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    HMACVector(
        name: "test case 5 (4.6), truncated to 128 bits",
        key: repeated(0x0c, count: 20),
        data: bytes("546573742057697468205472756e636174696f6e"),  // "Test With Truncation"
        mac: "a3b6167473100ee06e0c796c2955552b"),
    HMACVector(
        name: "test case 6 (4.7), key larger than the block",
        key: repeated(0xaa, count: 131),
        data: bytes(
            "54657374205573696e67204c61726765",  // "Test Using Large"
            "72205468616e20426c6f636b2d53697a",  // "r Than Block-Siz"
            "65204b6579202d2048617368204b6579",  // "e Key - Hash Key"
            "204669727374"),  // " First"
        mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    HMACVector(
        name: "test case 7 (4.8), key and data larger than the block",
        key: repeated(0xaa, count: 131),
        data: bytes(
            "54686973206973206120746573742075",  // "This is a test u"
            "73696e672061206c6172676572207468",  // "sing a larger th"
            "616e20626c6f636b2d73697a65206b65",  // "an block-size ke"
            "7920616e642061206c61726765722074",  // "y and a larger t"
            "68616e20626c6f636b2d73697a652064",  // "han block-size d"
            "6174612e20546865206b6579206e6565",  // "ata. The key nee"
            "647320746f2062652068617368656420",  // "ds to be hashed "
            "6265666f7265206265696e6720757365",  // "before being use"
            "642062792074686520484d414320616c",  // "d by the HMAC al"
            "676f726974686d2e"),  // "gorithm."
        mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]

@Suite("HMAC-SHA-256 (RFC 4231)")
struct HMACSHA256Tests {
    @Test(
        "the MAC starts with the published bytes (all 32 of them unless the case is truncated)",
        arguments: rfc4231Vectors)
    func macMatchesVector(vector: HMACVector) {
        let mac = HMACSHA256.authenticationCode(for: vector.data, key: vector.key).bytes
        let published = bytes(vector.mac)
        #expect(Array(mac.prefix(published.count)) == published)
    }

    @Test("every case but the truncated one publishes the whole 32-byte MAC")
    func onlyTestCase5IsTruncated() {
        #expect(rfc4231Vectors.map(\.isTruncated) == [false, false, false, false, true, false, false])
    }

    @Test("the published MAC is accepted", arguments: rfc4231Vectors.filter { !$0.isTruncated })
    func publishedMacIsValid(vector: HMACVector) {
        #expect(HMACSHA256.isValid(bytes32(vector.mac), for: vector.data, key: vector.key))
    }

    @Test("a MAC with a flipped bit is refused", arguments: rfc4231Vectors.filter { !$0.isTruncated })
    func tamperedMacIsRefused(vector: HMACVector) {
        for bit in [0, 128, 255] {
            let tampered = Bytes32(bytes(vector.mac).flippingBit(bit))!
            #expect(!HMACSHA256.isValid(tampered, for: vector.data, key: vector.key), "bit \(bit)")
        }
    }

    @Test("a MAC is refused for a message with a flipped bit", arguments: rfc4231Vectors.filter { !$0.isTruncated })
    func macOfTamperedMessageIsRefused(vector: HMACVector) {
        #expect(!HMACSHA256.isValid(bytes32(vector.mac), for: vector.data.flippingBit(0), key: vector.key))
    }

    @Test("a MAC is refused under a key with a flipped bit", arguments: rfc4231Vectors.filter { !$0.isTruncated })
    func macUnderTamperedKeyIsRefused(vector: HMACVector) {
        #expect(!HMACSHA256.isValid(bytes32(vector.mac), for: vector.data, key: vector.key.flippingBit(0)))
    }

    @Test("an empty key is allowed")
    func emptyKeyIsAllowed() {
        // RFC 2104 pads a short key with zeros to the block length, so an empty key is the same as 64 zero bytes.
        let message = Array("message".utf8)
        #expect(
            HMACSHA256.authenticationCode(for: message, key: [])
                == HMACSHA256.authenticationCode(for: message, key: repeated(0, count: 64)))
    }

    @Test("a MAC fed in parts is the MAC of their concatenation, for keys shorter and longer than a block")
    func partsEqualConcatenation() async {
        await propertyCheck(
            input: Gen.uint8().array(of: 0...200), Gen.uint8().array(of: 0...100), Gen.uint8().array(of: 0...80)
        ) { first, second, key in
            let whole = HMACSHA256.authenticationCode(for: first + second, key: key)
            var incremental = key.withUnsafeBytes { HMACSHA256(key: $0) }
            incremental.update(first)
            incremental.update(second)
            #expect(incremental.finalize() == whole)
        }
    }
}

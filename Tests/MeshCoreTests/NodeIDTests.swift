import MeshCore
import PropertyBased
import Testing

/// Node ids are Bech32m (BIP 350) with the prefix `sm`. The worked examples here are also in `Specs/wire.md`;
/// their text forms were computed with the BIP 350 reference algorithm in Python, independently of this code.
@Suite struct NodeIDTests {
    static let examples: [(String, String)] = [
        // RFC 8032 section 7.1, TEST 1 public key.
        (
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "sm16adfsqvzky9t042tlmfujeq88g8wzuhnm2nzxfd0qgdx3ac82ydq7hej07"
        ),
        (String(repeating: "00", count: 32), "sm1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq8w2hv7"),
        (String(repeating: "ff", count: 32), "sm1llllllllllllllllllllllllllllllllllllllllllllllllllls9sfx9f"),
    ]

    @Test(arguments: examples)
    func workedExamplesEncodeAndParse(keyHex: String, text: String) throws {
        let id = NodeID(publicKey: Bytes32(try Hex.decode(keyHex))!)
        #expect(id.text == text)
        #expect(id.text.count == NodeID.textLength)
        #expect(try NodeID(text: text) == id)
        #expect(try NodeID(text: text.uppercased()) == id)
    }

    @Test func roundTripsEveryKey() async {
        await propertyCheck(input: Gen.uint8().array(of: 32...32)) { bytes in
            let id = NodeID(publicKey: Bytes32(bytes)!)
            #expect((try? NodeID(text: id.text)) == id)
        }
    }

    @Test func anySingleCharacterTypoIsRefused() async {
        let text = Array(Self.examples[0].1)
        let alphabet = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        await propertyCheck(input: Gen.int(in: 3...(NodeID.textLength - 1)), Gen.int(in: 0...31)) { position, pick in
            var typo = text
            guard alphabet[pick] != typo[position] else { return }
            typo[position] = alphabet[pick]
            #expect(throws: NodeID.ParseError.checksumMismatch) { try NodeID(text: String(typo)) }
        }
    }

    @Test func swappedNeighboursAreRefused() {
        var text = Array(Self.examples[0].1)
        text.swapAt(10, 11)
        #expect(throws: NodeID.ParseError.checksumMismatch) { try NodeID(text: String(text)) }
    }

    @Test func refusalsSayWhatWasWrong() {
        let good = Self.examples[0].1
        #expect(throws: NodeID.ParseError.empty) { try NodeID(text: "") }
        #expect(throws: NodeID.ParseError.wrongLength(60)) { try NodeID(text: String(good.dropLast())) }
        #expect(throws: NodeID.ParseError.wrongLength(62)) { try NodeID(text: good + "q") }
        #expect(throws: NodeID.ParseError.wrongPrefix("bc1")) { try NodeID(text: "bc1" + good.dropFirst(3)) }
        #expect(throws: NodeID.ParseError.mixedCase) { try NodeID(text: "SM1" + good.dropFirst(3)) }
        var withB = Array(good)
        withB[20] = "b"
        #expect(throws: NodeID.ParseError.invalidCharacter("b", position: 20)) { try NodeID(text: String(withB)) }
        #expect(NodeID.ParseError.invalidCharacter("b", position: 20).description.contains("position 21"))
        #expect(NodeID.ParseError.checksumMismatch.description.contains("mistyped"))
    }

    @Test func orderIsByteWise() {
        let low = NodeID(publicKey: Bytes32([UInt8](repeating: 0, count: 32))!)
        let high = NodeID(publicKey: Bytes32([UInt8](repeating: 0xff, count: 32))!)
        #expect(low < high)
        #expect([high, low].sorted() == [low, high])
    }

    @Test func shortTextIsAPrefix() throws {
        let text = Self.examples[0].1
        #expect(try NodeID(text: text).shortText == String(text.prefix(12)))
    }
}

/// BIP 350's published Bech32m test vectors, for the generic codec under node ids.
@Suite struct Bech32mTests {
    @Test(arguments: [
        "A1LQFN3A", "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11"
            + String(repeating: "l", count: 83) + "udsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa",
    ])
    func validVectorsVerify(text: String) throws {
        // Some vectors carry data whose bit count is not a multiple of 8, so only the checksum is checked here.
        do {
            _ = try Bech32m.decode(text)
        } catch Bech32m.DecodeError.invalidPadding {
            // The checksum matched; the data is not whole bytes, which only byte payloads require.
        }
    }

    @Test(arguments: [
        "\u{20}1xj0phk", "\u{7F}1g6xzxy", "\u{80}1vctc34",
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0", "in1muywd", "mm1crxm3i", "au1s5cgom",
        "M1VUXWEZ", "16plkw9", "1p2gdwpf",
    ])
    func invalidVectorsAreRefused(text: String) {
        #expect(throws: Bech32m.DecodeError.self) { try Bech32m.decode(text) }
    }

    @Test func encodesEmptyDataAsPublished() {
        #expect(Bech32m.encode(hrp: "a", bytes: []) == "a1lqfn3a")
    }

    @Test func refusesTextLongerThanTheLimit() {
        #expect(throws: Bech32m.DecodeError.tooLong(count: 8, limit: 7)) { try Bech32m.decode("a1lqfn3a", limit: 7) }
    }
}

import Foundation
import Testing

@testable import MeshControl

/// The hand-written JSON parser and writer (`JSONParser`, `JSONValue.write`), checked against RFC 8259 cases and
/// against Foundation's `JSONSerialization`.
@Suite struct JSONTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue(parsing: Array(text.utf8)) }

    func failure(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2, 3.5, 1e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(value["a"] == [1, -2, .double(3.5), .double(1000), true, false, .null])
        #expect(value["b"]?["c"] == "d")
        #expect(value["e"] == "")
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try parse("-0") == .int(0))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20ac\ud83d\ude00""#) == .string("é€😀"))
        #expect(try parse("\"é😀\"") == .string("é😀"))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", "unexpected character '}', a member name in quotes was expected at byte 8"),
        ("[1 2]", "unexpected character '2', ',' or ']' was expected in an array at byte 3"),
        ("{\"a\" 1}", "unexpected character '1', ':' was expected after a member name at byte 5"),
        ("\"abc", "a string that never ends at byte 0"),
        ("01", "a number with a leading zero at byte 1"),
        ("1.", "a number needs digits after '.' at byte 2"),
        ("1e", "a number needs digits in its exponent at byte 2"),
        ("-", "a number needs digits at byte 1"),
        ("tru", "unexpected character 't', a value was expected at byte 0"),
        ("{} x", "unexpected character 'x' after the JSON value at byte 3"),
        ("", "unexpected end of input, a value was expected at byte 0"),
        ("\"\\x\"", "an unknown escape \\character 'x' at byte 2"),
        ("\"\\ud800\"", "a lone surrogate \\u escape at byte 7"),
        ("\"a\nb\"", "a control character inside a string (escape it) at byte 2"),
        ("{\"a\":1,\"a\":2}", "the member name \"a\" appears twice at byte 7"),
        ("1e999", "the number 1e999 is out of range at byte 0"),
    ])
    func refusesWhatIsNotJSONAndSaysWhere(text: String, message: String) {
        #expect(failure(text) == message)
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: (any Error).self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func limitsNesting() throws {
        let deep =
            String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        _ = try parse(deep)
        let tooDeep = "[" + deep + "]"
        #expect(failure(tooDeep)?.hasPrefix("arrays and objects nested deeper than 64") == true)
        // Far deeper input is refused just as cleanly, without exhausting the stack.
        #expect(failure(String(repeating: "[", count: 1_000_000)) != nil)
    }

    @Test func writesCompactSortedEscapedJSON() {
        let value: JSONValue = ["b": [1, .double(2.5), .null], "a": "x\"y\\z\n\u{1}", "c": true]
        let text = String(decoding: value.encoded, as: UTF8.self)
        #expect(text == #"{"a":"x\"y\\z\n\u0001","b":[1,2.5,null],"c":true}"#)
        #expect(String(decoding: JSONValue.double(.nan).encoded, as: UTF8.self) == "null")
    }

    @Test func whatItWritesFoundationReadsAndItReadsBack() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let value = randomValue(depth: 0, using: &generator)
            let bytes = value.encoded
            // Foundation accepts the text as JSON.
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            // And it parses back to the same value.
            #expect(try JSONValue(parsing: bytes) == value)
        }
    }

    private func randomValue(depth: Int, using generator: inout SystemRandomNumberGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &generator))
        case 3: return .double(Double.random(in: -1e6...1e6, using: &generator) + 0.5)
        case 4:
            let scalars = (0..<Int.random(in: 0..<12, using: &generator)).map { _ in
                Character(Unicode.Scalar(UInt32.random(in: 0..<0xD800, using: &generator))!)
            }
            return .string(String(scalars))
        case 5:
            return .array(
                (0..<Int.random(in: 0..<4, using: &generator)).map { _ in
                    randomValue(depth: depth + 1, using: &generator)
                })
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0..<4, using: &generator) {
                members["k\(index)\(Int.random(in: 0..<100, using: &generator))"] = randomValue(
                    depth: depth + 1, using: &generator)
            }
            return .object(members)
        }
    }
}

/// Everything a decoder can find wrong with bytes from outside. Decoders throw these; they never trap and never
/// allocate more than the bytes in hand or a named limit allows. Each message names the field and the numbers.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before `field` was complete.
    case truncated(field: String, needed: Int, available: Int)
    /// `field` announced or held a length or value above its limit.
    case oversized(field: String, length: UInt64, limit: UInt64)
    /// A frame or record type number this decoder does not know and may not skip.
    case unknownType(context: String, type: UInt64)
    /// A variable-length integer encoded in more bytes than its value needs.
    case nonMinimalVarint(field: String, value: UInt64, encodedLength: Int)
    /// Bytes left over after a complete value that must fill its input exactly.
    case trailingBytes(context: String, count: Int)
    /// A frame header with a protocol version this build does not implement.
    case unsupportedVersion(UInt8, supported: UInt8)
    /// A text field that is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A field whose value is outside the set the format allows.
    case invalidValue(field: String, reason: String)

    /// The field and the numbers, for logs and error reports.
    public var description: String {
        switch self {
        case .truncated(let field, let needed, let available):
            "truncated input: \(field) needs \(needed) bytes but only \(available) remain"
        case .oversized(let field, let length, let limit):
            "\(field) is \(length), above its limit of \(limit)"
        case .unknownType(let context, let type):
            "unknown \(context) type \(type) (0x\(String(type, radix: 16))) that may not be skipped"
        case .nonMinimalVarint(let field, let value, let encodedLength):
            "\(field): the value \(value) is encoded in \(encodedLength) bytes; the shortest encoding is required"
        case .trailingBytes(let context, let count):
            "\(count) unexpected bytes after the end of \(context)"
        case .unsupportedVersion(let version, let supported):
            "protocol version \(version) is not supported; this node speaks version \(supported)"
        case .invalidUTF8(let field):
            "\(field) is not valid UTF-8 text"
        case .invalidValue(let field, let reason):
            "\(field): \(reason)"
        }
    }
}

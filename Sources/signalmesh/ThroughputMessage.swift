import MeshCore
import MeshWire

/// One message of `signalmesh throughput`, carried in a DATAGRAM frame or on the reliable stream.
///
/// Byte layout (integers big-endian, varints as in `Specs/wire.md`):
///
/// ```
/// kind 1  data            mode u8, run u64, sequence u64 (at most 2^62 - 1), then zeros up to the message size
/// kind 2  report request  mode u8, run u64, messages sent varint, bytes sent varint
/// kind 3  report          run u64, messages varint, bytes varint, duplicates varint, out of order varint,
///                         lost varint, first-to-last arrival in nanoseconds varint
/// ```
///
/// Every data message carries its run and sequence number, so the receiver can count losses, duplicates and
/// reordering; the filler makes it as long as `--size` asks. Report requests and reports fill their bytes exactly.
enum ThroughputMessage: Equatable {
    /// A numbered message of `size` bytes of run `run`.
    case data(mode: ThroughputMode, run: UInt64, sequence: UInt64, size: Int)
    /// The sender's request for the receiver's report, with what it sent.
    case reportRequest(mode: ThroughputMode, run: UInt64, messagesSent: UInt64, bytesSent: UInt64)
    /// What the receiver received in a run.
    case report(ThroughputReport)

    /// Bytes of a data message before its filler; the smallest `--size`.
    static let dataHeaderSize = 18
    /// The highest sequence number, 2^62 - 1 (as for every count in these messages, the varint limit): far beyond
    /// any run, and low enough that a receiver's arithmetic on it cannot overflow.
    static let maxSequence: UInt64 = (1 << 62) - 1

    /// Zeros for the filler of data messages, as many as the largest message holds: appending a slice of them is one
    /// copy rather than a loop over single bytes.
    private static let filler = [UInt8](repeating: 0, count: ThroughputMode.stream.maxSize)

    private static let dataKind: UInt8 = 1
    private static let reportRequestKind: UInt8 = 2
    private static let reportKind: UInt8 = 3

    /// The message's bytes.
    var encoded: [UInt8] {
        switch self {
        case .data(let mode, let run, let sequence, let size):
            precondition(size >= Self.dataHeaderSize, "a data message of \(size) bytes has no room for its header")
            precondition(sequence <= Self.maxSequence, "sequence number \(sequence) above \(Self.maxSequence)")
            var writer = WireWriter(capacity: size)
            writer.writeUInt8(Self.dataKind)
            writer.writeUInt8(mode.wireValue)
            writer.writeUInt64(run)
            writer.writeUInt64(sequence)
            writer.writeBytes(Self.filler[..<(size - Self.dataHeaderSize)])
            return writer.bytes
        case .reportRequest(let mode, let run, let messagesSent, let bytesSent):
            var writer = WireWriter(capacity: 32)
            writer.writeUInt8(Self.reportRequestKind)
            writer.writeUInt8(mode.wireValue)
            writer.writeUInt64(run)
            writer.writeVarint(messagesSent)
            writer.writeVarint(bytesSent)
            return writer.bytes
        case .report(let report):
            var writer = WireWriter(capacity: 64)
            writer.writeUInt8(Self.reportKind)
            writer.writeUInt64(report.run)
            for count in [report.messages, report.bytes, report.duplicates, report.outOfOrder, report.lost] {
                writer.writeVarint(count)
            }
            writer.writeVarint(UInt64(max(0, report.elapsed.nanoseconds)))
            return writer.bytes
        }
    }

    /// Decodes `bytes`.
    ///
    /// - Throws: `WireError` naming what is wrong: an unknown kind or mode, a truncated field, a non-minimal varint,
    ///   trailing bytes after a report or request, or report counts that contradict each other.
    init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = WireReader(bytes)
        let kind = try reader.readUInt8("throughput message kind")
        switch kind {
        case Self.dataKind:
            let mode = try Self.readMode(&reader, "data mode")
            let run = try reader.readUInt64("data run")
            let sequence = try reader.readUInt64("data sequence")
            guard sequence <= Self.maxSequence else {
                throw .invalidValue(field: "data sequence", reason: "\(sequence) is above \(Self.maxSequence)")
            }
            self = .data(mode: mode, run: run, sequence: sequence, size: bytes.count)
        case Self.reportRequestKind:
            let mode = try Self.readMode(&reader, "report request mode")
            let run = try reader.readUInt64("report request run")
            let messagesSent = try reader.readVarint("report request messages sent")
            let bytesSent = try reader.readVarint("report request bytes sent")
            try reader.expectEnd("a throughput report request")
            self = .reportRequest(mode: mode, run: run, messagesSent: messagesSent, bytesSent: bytesSent)
        case Self.reportKind:
            self = .report(try Self.readReport(&reader))
        default:
            throw .unknownType(context: "throughput message", type: UInt64(kind))
        }
    }

    private static func readMode(_ reader: inout WireReader, _ field: StaticString) throws(WireError) -> ThroughputMode
    {
        let value = try reader.readUInt8(field)
        guard let mode = ThroughputMode(wireValue: value) else {
            throw .invalidValue(field: "\(field)", reason: "\(value) is neither 1 (datagram) nor 2 (stream)")
        }
        return mode
    }

    private static func readReport(_ reader: inout WireReader) throws(WireError) -> ThroughputReport {
        let run = try reader.readUInt64("report run")
        let messages = try reader.readVarint("report messages")
        let bytes = try reader.readVarint("report bytes")
        let duplicates = try reader.readVarint("report duplicates")
        let outOfOrder = try reader.readVarint("report out of order")
        let lost = try reader.readVarint("report lost")
        let elapsed = try reader.readVarint("report elapsed nanoseconds")
        try reader.expectEnd("a throughput report")
        let (leastBytes, overflow) = messages.multipliedReportingOverflow(by: UInt64(dataHeaderSize))
        guard !overflow, bytes >= leastBytes else {
            throw .invalidValue(
                field: "report bytes",
                reason: "\(bytes) bytes cannot hold \(messages) messages of at least \(dataHeaderSize) bytes")
        }
        guard outOfOrder <= messages else {
            throw .invalidValue(
                field: "report out of order", reason: "\(outOfOrder) of only \(messages) messages received")
        }
        return ThroughputReport(
            run: run, messages: messages, bytes: bytes, duplicates: duplicates, outOfOrder: outOfOrder, lost: lost,
            elapsed: .nanoseconds(Int64(elapsed)))
    }
}

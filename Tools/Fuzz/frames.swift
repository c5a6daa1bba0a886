// libFuzzer target `frames`: Frame.decodeAll and FrameHeader.decode.
//
// Input layout: byte 0 is a bit mask of the known frame types 0...7 (every other type is unknown, so odd ones are
// skipped and even ones refused); byte 1 picks the caller's limits (low 3 bits: maxPayload, next 2 bits:
// maxFrames); the rest is the frame bytes.
//
// Checks beyond "does not trap":
// - frames that decode re-encode to bytes that decode to the same frames;
// - with every type known, accepted bytes are the one canonical encoding of their frames (shortest varints, one
//   version), so they re-encode byte for byte;
// - an accepted header re-encodes to the bytes it was read from and its payload is present and within the limit.

import MeshCore
import MeshWire

private let payloadLimits = [Limits.maxFramePayloadSize, 0, 1, 63, 64, 16_383, 16_384, Limits.maxDatagramSize]
private let frameLimits = [256, 0, 1, 3]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let knownMask = data[0]
    let maxPayload = payloadLimits[Int(data[1] & 0x07)]
    let maxFrames = frameLimits[Int(data[1] >> 3 & 0x03)]
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let isKnown: (UInt64) -> Bool = { type in type < 8 && knownMask >> type & 1 == 1 }

    checkDecodeAll(bytes, maxPayload: maxPayload, maxFrames: maxFrames, isKnown: isKnown)
    checkCanonical(bytes, maxPayload: maxPayload, maxFrames: maxFrames)
    checkHeader(bytes, maxPayload: maxPayload)
    return 0
}

private func encodeAll(_ frames: [Frame]) -> [UInt8] {
    var writer = WireWriter()
    for frame in frames { frame.encode(into: &writer) }
    return writer.bytes
}

private func checkDecodeAll(_ bytes: [UInt8], maxPayload: Int, maxFrames: Int, isKnown: (UInt64) -> Bool) {
    let frames: [Frame]
    do {
        frames = try Frame.decodeAll(bytes, maxPayload: maxPayload, maxFrames: maxFrames, isKnownType: isKnown)
    } catch {
        _ = error.description
        return
    }
    for frame in frames where !isKnown(frame.type) || frame.payload.count > maxPayload {
        fatalError(
            "decodeAll returned frame type \(frame.type) with \(frame.payload.count) payload bytes "
                + "(maxPayload \(maxPayload)), which the caller did not accept")
    }
    let reencoded = encodeAll(frames)
    let again: [Frame]
    do {
        again = try Frame.decodeAll(reencoded, maxPayload: maxPayload, maxFrames: maxFrames, isKnownType: isKnown)
    } catch {
        fatalError("decodeAll accepted \(bytes) as \(frames), but their re-encoding \(reencoded) throws \(error)")
    }
    guard again == frames else {
        fatalError("decodeAll(\(bytes)) gave \(frames); re-encoded as \(reencoded) it gives \(again)")
    }
}

private func checkCanonical(_ bytes: [UInt8], maxPayload: Int, maxFrames: Int) {
    guard
        let frames = try? Frame.decodeAll(
            bytes, maxPayload: maxPayload, maxFrames: maxFrames, isKnownType: { _ in true })
    else { return }
    let reencoded = encodeAll(frames)
    guard reencoded == bytes else {
        fatalError("decodeAll accepted non-canonical bytes \(bytes) as \(frames), whose encoding is \(reencoded)")
    }
}

private func checkHeader(_ bytes: [UInt8], maxPayload: Int) {
    var reader = WireReader(bytes)
    let header: FrameHeader
    do {
        header = try FrameHeader.decode(from: &reader, maxPayload: maxPayload)
    } catch {
        _ = error.description
        return
    }
    guard header.payloadLength <= maxPayload, header.payloadLength <= reader.remaining else {
        fatalError(
            "FrameHeader.decode(\(bytes), maxPayload: \(maxPayload)) accepted \(header) "
                + "with \(reader.remaining) bytes remaining")
    }
    var writer = WireWriter()
    header.encode(into: &writer)
    guard writer.bytes == Array(bytes[..<reader.offset]) else {
        fatalError("FrameHeader.decode read \(bytes[..<reader.offset]) as \(header), which encodes as \(writer.bytes)")
    }
}

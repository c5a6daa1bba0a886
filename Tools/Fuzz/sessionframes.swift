// libFuzzer target `sessionframes`: SessionFrame.decodeAll on the input, the plaintext of a data packet
// (Specs/transport.md, section 6), which includes the ACK frame decoder.
//
// Checks beyond "does not trap": accepted frames re-encode to bytes that decode to the same frames.

import MeshTransport
import MeshWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let frames = try SessionFrame.decodeAll(bytes)
        var writer = WireWriter()
        for frame in frames { frame.encode(into: &writer) }
        let again = try SessionFrame.decodeAll(writer.bytes)
        guard again == frames else { fatalError("frames \(frames) decode as \(again) after re-encoding") }
    } catch {
        _ = error.description
    }
    return 0
}

// libFuzzer target `packet`: TransportPacket.decode on the input (Specs/transport.md, section 3).
//
// Checks beyond "does not trap": an accepted packet re-encodes to exactly the input (every field is fixed-size or
// the rest of the datagram, so there is one encoding per packet).

import MeshTransport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let packet = try TransportPacket.decode(bytes)
        guard packet.encoded == bytes else { fatalError("packet \(packet) re-encodes differently from \(bytes)") }
    } catch {
        _ = error.description
    }
    return 0
}

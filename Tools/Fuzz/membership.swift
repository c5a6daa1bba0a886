// libFuzzer target `membership`: MembershipMessage(decoding:) on the raw input (Specs/membership.md, section 2.1).
//
// Checks beyond "does not trap": a message that decodes re-encodes to exactly the input (one encoding per value,
// Specs/wire.md section 1), and every refusal's message can be formatted.

import MeshMembership

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let message: MembershipMessage
    do {
        message = try MembershipMessage(decoding: bytes)
    } catch {
        _ = error.description
        return 0
    }
    guard message.encoded == bytes else {
        fatalError("\(message) decoded from \(bytes.count) bytes re-encodes differently")
    }
    return 0
}

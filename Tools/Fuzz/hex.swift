// libFuzzer target `hex`: Hex.decode on the input read as UTF-8 (invalid bytes become U+FFFD).
//
// Checks beyond "does not trap": accepted text encodes back to itself in lowercase, and every refusal's message
// can be formatted. Build and run with Tools/fuzz.sh (see Tools/README.md, "Fuzzing").

import MeshCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let bytes = try Hex.decode(text)
        let again = Hex.encode(bytes)
        guard again == text.lowercased() else {
            fatalError("Hex round trip: decode(\(text.debugDescription)) re-encodes as \(again.debugDescription)")
        }
    } catch {
        _ = error.description
    }
    return 0
}

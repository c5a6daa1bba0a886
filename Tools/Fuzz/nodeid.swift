// libFuzzer target `nodeid`: NodeID(text:) and Bech32m.decode on the input read as UTF-8 (invalid bytes become
// U+FFFD).
//
// Checks beyond "does not trap": an accepted node id's `.text` is the input in lowercase (the only other accepted
// spelling is all uppercase); a string Bech32m.decode accepts re-encodes to itself in lowercase; every refusal's
// message can be formatted.

import MeshCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    do {
        let id = try NodeID(text: text)
        guard id.text == text.lowercased() else {
            fatalError("NodeID(text: \(text.debugDescription)) accepted an id whose text is \(id.text)")
        }
        guard try NodeID(text: id.text) == id else {
            fatalError("NodeID(text: \(id.text)) does not give back \(id.publicKey)")
        }
    } catch {
        _ = error.description
    }

    if let (hrp, bytes) = try? Bech32m.decode(text) {
        let again = Bech32m.encode(hrp: hrp, bytes: bytes)
        guard again == text.lowercased() else {
            fatalError("Bech32m.decode(\(text.debugDescription)) gave (\(hrp), \(bytes)), which encodes as \(again)")
        }
    }
    return 0
}

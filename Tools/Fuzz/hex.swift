// libFuzzer target `hex`: Hex.decode(utf8:) on the raw input and Hex.decode on the input read as UTF-8 (invalid
// bytes become U+FFFD).
//
// Checks beyond "does not trap": accepted digits encode back to themselves in lowercase; both entry points agree on
// input that is valid UTF-8; every refusal's message can be formatted.

import MeshCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    let fromBytes: Result<[UInt8], Hex.DecodeError>
    do {
        let decoded = try Hex.decode(utf8: bytes)
        let again = Hex.encode(decoded)
        guard again.utf8.elementsEqual(bytes.map { (65...90).contains($0) ? $0 + 32 : $0 }) else {
            fatalError("Hex.decode(utf8: \(bytes)) gave \(decoded), which encodes as \(again.debugDescription)")
        }
        fromBytes = .success(decoded)
    } catch {
        _ = error.description
        fromBytes = .failure(error)
    }

    let fromText: Result<[UInt8], Hex.DecodeError>
    do {
        let decoded = try Hex.decode(text)
        let again = Hex.encode(decoded)
        guard again == text.lowercased() else {
            fatalError("Hex.decode(\(text.debugDescription)) gave \(decoded), encoded as \(again.debugDescription)")
        }
        fromText = .success(decoded)
    } catch {
        _ = error.description
        fromText = .failure(error)
    }

    if String(validating: bytes, as: UTF8.self) != nil, fromBytes != fromText {
        fatalError("Hex.decode(utf8: \(bytes)) gives \(fromBytes) but Hex.decode(\(text.debugDescription)) \(fromText)")
    }
    return 0
}

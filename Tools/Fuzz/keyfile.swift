// libFuzzer target `keyfile`: NodeKeyFile.decode on the raw input.
//
// Checks beyond "does not trap": a key file that decodes re-encodes to a file that decodes to the same node id, and
// so does that file with "\r\n" line ends or without its final newline (Specs/wire.md, section 9); every refusal's
// message can be formatted.

import MeshCore
import MeshCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let key: Ed25519PrivateKey
    do {
        key = try NodeKeyFile.decode(bytes)
    } catch {
        _ = error.description
        return 0
    }
    let reencoded = NodeKeyFile.encode(key)
    var crlf: [UInt8] = []
    for byte in reencoded {
        if byte == UInt8(ascii: "\n") { crlf.append(UInt8(ascii: "\r")) }
        crlf.append(byte)
    }
    for (form, file) in [("re-encoded", reencoded), ("CRLF", crlf), ("no final newline", Array(reencoded.dropLast()))] {
        let again: Ed25519PrivateKey
        do {
            again = try NodeKeyFile.decode(file)
        } catch {
            let text = String(decoding: file, as: UTF8.self)
            fatalError("key file for \(key.nodeID), \(form) as \(text.debugDescription), throws \(error)")
        }
        guard again.nodeID == key.nodeID else {
            fatalError("key file for \(key.nodeID), \(form), decodes to \(again.nodeID)")
        }
    }
    return 0
}

// libFuzzer target `keyfile`: NodeKeyFile.decode on the raw input.
//
// Checks beyond "does not trap": a key file that decodes re-encodes to a file that decodes to the same node id;
// every refusal's message can be formatted.

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
    do {
        let again = try NodeKeyFile.decode(reencoded)
        guard again.nodeID == key.nodeID else {
            fatalError("key file for \(key.nodeID) re-encodes to one for \(again.nodeID)")
        }
    } catch {
        fatalError("key file for \(key.nodeID) re-encodes to \(String(decoding: reencoded, as: UTF8.self).debugDescription), which throws \(error)")
    }
    return 0
}

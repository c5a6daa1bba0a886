// libFuzzer target `varint`: Varint.decode on the whole input, then WireReader.readVarint in a loop until the
// input ends or a read throws.
//
// Checks beyond "does not trap": SignalMesh accepts only the shortest encoding, so every accepted varint must
// re-encode to exactly the bytes it was read from.

import MeshWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let value = try? Varint.decode(bytes) {
        guard Varint.encode(value) == bytes else {
            fatalError("Varint.decode(\(bytes)) accepted \(value), whose shortest encoding is \(Varint.encode(value))")
        }
    }

    var reader = WireReader(bytes)
    while !reader.isAtEnd {
        let start = reader.offset
        let value: UInt64
        do {
            value = try reader.readVarint("fuzz varint")
        } catch {
            _ = error.description
            break
        }
        let read = Array(bytes[start..<reader.offset])
        guard value <= Varint.max, Varint.encode(value) == read else {
            fatalError("readVarint accepted \(read) as \(value), whose shortest encoding is \(Varint.encode(value))")
        }
    }
    return 0
}

// libFuzzer target `endpoint`: the transport core itself on hostile datagrams. One Endpoint lives for the whole
// run, so state built by earlier inputs (peers, rate-limit buckets, load counters) is exercised too; the first
// byte of each input picks the source address from a small set, the rest is the datagram.
//
// Checks beyond "does not trap": no input is answered with more bytes than it had (Specs/transport.md, section 3:
// never send an unvalidated address more than it sent), and every input is either acted on or counted as dropped.

import MeshCore
import MeshCrypto
import MeshTransport

nonisolated(unsafe) var endpoint: Endpoint = {
    var keys = SeededRandomBytes(seed: 1)
    return Endpoint(
        identity: Ed25519PrivateKey(using: &keys), random: SeededRandomBytes(seed: 2), seed: 3,
        now: Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000))
}()
nonisolated(unsafe) var clock = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let source = SocketAddress.ipv4(0x0a00_0000 | UInt32(data[0] & 0x0f), port: 9000)
    let datagram = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    clock += .milliseconds(Int64(data[0] >> 4))
    let droppedBefore = endpoint.drops.values.reduce(0, +)
    let effects = endpoint.receive(datagram, from: source, now: clock)
    for case .send(let reply, let to) in effects {
        guard reply.count <= datagram.count else {
            fatalError("a \(datagram.count)-byte datagram from \(source) was answered with \(reply.count) bytes to \(to)")
        }
    }
    let dropped = endpoint.drops.values.reduce(0, +) - droppedBefore
    guard dropped == 1 || effects.contains(where: { if case .send = $0 { true } else { false } }) else {
        fatalError("a datagram was neither answered nor counted as dropped: \(effects)")
    }
    _ = endpoint.timerFired(now: clock)
    return 0
}

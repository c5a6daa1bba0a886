import Glibc
import MeshCore
import MeshRuntime

/// 127.0.0.1 with port 0: the kernel picks a free port.
let loopbackV4 = SocketAddress.ipv4(0x7F00_0001, port: 0)
/// ::1 with port 0.
let loopbackV6 = SocketAddress.ipv6(.loopback, port: 0)

/// Runs `loop` until a callback stops it or `limit` passes, so that no test can hang.
///
/// - Returns: whether the safety deadline had to stop the loop (the condition the test waited for never came).
func runUntilStopped(_ loop: EventLoop, limit: MeshCore.Duration = .seconds(5)) throws -> Bool {
    var timedOut = false
    let safety = try LoopTimer(loop: loop) {
        timedOut = true
        loop.stop()
    }
    safety.arm(at: loop.now + limit)
    loop.run()
    safety.close()
    return timedOut
}

/// Whether this host can bind a UDP socket on ::1 (containers are sometimes started without IPv6).
func hostHasIPv6Loopback() -> Bool {
    let descriptor = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }
    return result == 0
}

/// Sends `bytes` to 127.0.0.1:`port` from a plain kernel socket, bypassing `UDPSocket`'s own size limit.
func sendRawIPv4(_ bytes: [UInt8], toPort port: UInt16) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let sent = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(descriptor, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return sent == bytes.count
}

/// Whether the kernel knows UDP generic segmentation offload (`UDP_SEGMENT`, Linux 4.18).
func kernelSupportsUDPSegmentation() -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var value: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    let udpSegment: Int32 = 103  // UDP_SEGMENT in <netinet/udp.h>
    return getsockopt(descriptor, Int32(IPPROTO_UDP), udpSegment, &value, &length) == 0
}

/// Whether the kernel knows UDP generic receive offload (`UDP_GRO`, Linux 5.0).
func kernelSupportsUDPReceiveOffload() -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var on: Int32 = 1
    let udpGRO: Int32 = 104  // UDP_GRO in <netinet/udp.h>
    return setsockopt(descriptor, Int32(IPPROTO_UDP), udpGRO, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
}

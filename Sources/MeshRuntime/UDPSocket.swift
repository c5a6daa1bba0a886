internal import CLibUV
import Glibc
public import MeshCore

/// A UDP socket on an event loop, bound to one IPv4 or IPv6 address: the node's door to the network.
///
/// Receiving reads up to `Settings.receiveBatchSize` datagrams per system call (`recvmmsg`) into one buffer
/// allocated at bind time and hands each to the handler as a borrowed byte view, so the receive path does not
/// allocate. Sending tries `uv_udp_try_send` (no allocation, no copy); only when the kernel says `EAGAIN` is the
/// datagram copied into one of `Settings.maxPendingSends` preallocated slots and handed to `uv_udp_send`. Order is
/// kept: while any slot is in flight libuv refuses direct sends, so later datagrams queue behind earlier ones.
/// Datagrams over `Limits.maxDatagramSize` are dropped in both directions and counted.
///
/// An IPv6 socket is bound with `IPV6_V6ONLY`, so a node that wants both families opens one socket per family.
public final class UDPSocket {
    /// Receives a datagram on the loop thread: the bytes are valid only during the call.
    public typealias DatagramHandler = (_ bytes: UnsafeRawBufferPointer, _ from: SocketAddress) -> Void

    /// What became of one `send`.
    public enum SendOutcome: Sendable, Hashable {
        /// The kernel took the datagram.
        case sent
        /// The datagram waits in the pending-send queue; the kernel takes it when the socket is writable.
        case queued
        /// The datagram was dropped and counted.
        case dropped(DropReason)
    }

    /// libuv reads each datagram of a `recvmmsg` batch into a slot of this size (`UV__UDP_DGRAM_MAXSIZE`), which is
    /// larger than any UDP payload, so a batched read is never truncated.
    static let receiveSlotSize = 64 * 1024
    /// The most datagrams libuv reads in one `recvmmsg` call (`UV__MMSG_MAXWIDTH`).
    public static let maxReceiveBatchSize = 20

    /// The settings the socket was made with.
    public let settings: Settings
    /// The address the socket is bound to, with the port the kernel chose if port 0 was asked for.
    public private(set) var localAddress: SocketAddress
    /// The send buffer the kernel granted, as `getsockopt(SO_SNDBUF)` reports it (Linux reports twice the usable
    /// size, the rest being its bookkeeping).
    public private(set) var grantedSendBufferSize = 0
    /// The receive buffer the kernel granted, as `getsockopt(SO_RCVBUF)` reports it (twice the usable size on Linux).
    public private(set) var grantedReceiveBufferSize = 0
    /// Datagrams received, sent and dropped so far.
    public private(set) var counters = Counters()

    private let handle: UnsafeMutablePointer<uv_udp_t>
    private let receiveBuffer: UnsafeMutablePointer<CChar>
    private let receiveBufferSize: Int
    /// Whether libuv holds `receiveBuffer` between an allocation callback and the callback that returns it.
    private var receiveBufferLent = false
    private let sendRequests: UnsafeMutablePointer<uv_udp_send_t>
    private let sendPayloads: UnsafeMutableRawPointer
    /// Indices of the pending-send slots not in flight; its capacity is reserved up front, so it never reallocates.
    private var freeSendSlots: [Int]
    private var onDatagram: DatagramHandler?
    private var state = HandleState.open

    /// Opens a UDP socket on `loop` bound to `address` (port 0 for an ephemeral port) and sizes its buffers.
    ///
    /// Receiving starts with `startReceiving(_:)`.
    ///
    /// - Throws: `RuntimeError.bindFailed` if the address cannot be bound (in use, not on this host);
    ///   `RuntimeError.libuv` if no socket can be created.
    public init(loop: EventLoop, address: SocketAddress, settings: Settings = Settings()) throws(RuntimeError) {
        precondition(
            (1...Self.maxReceiveBatchSize).contains(settings.receiveBatchSize),
            "receiveBatchSize \(settings.receiveBatchSize) is outside 1...\(Self.maxReceiveBatchSize)")
        precondition(settings.maxPendingSends >= 0, "maxPendingSends \(settings.maxPendingSends) is negative")
        precondition(
            settings.sendBufferSize > 0 && settings.receiveBufferSize > 0, "socket buffer sizes must be positive")
        self.settings = settings
        localAddress = address
        handle = .allocate(capacity: 1)
        receiveBufferSize = settings.receiveBatchSize * Self.receiveSlotSize
        receiveBuffer = UnsafeMutableRawPointer.allocate(byteCount: receiveBufferSize, alignment: 16)
            .bindMemory(to: CChar.self, capacity: receiveBufferSize)
        sendRequests = .allocate(capacity: max(1, settings.maxPendingSends))
        sendPayloads = .allocate(byteCount: max(1, settings.maxPendingSends * Limits.maxDatagramSize), alignment: 16)
        freeSendSlots = Array((0..<settings.maxPendingSends).reversed())

        let initResult = uv_udp_init_ex(
            loop.uvLoop, handle, UInt32(address.addressFamily) | UV_UDP_RECVMMSG.rawValue)
        guard initResult == 0 else {
            freeMemory()
            throw .libuv(call: "uv_udp_init_ex", code: initResult)
        }
        uv_handle_set_data(cuv_udp_as_handle(handle), Unmanaged.passRetained(self).toOpaque())

        let bindFlags = address.addressFamily == AF_INET6 ? UV_UDP_IPV6ONLY.rawValue : 0
        let bindResult = address.withSockaddr { uv_udp_bind(handle, $0, bindFlags) }
        guard bindResult == 0 else {
            close()
            throw .bindFailed(address: address, code: bindResult)
        }
        var name = sockaddr_storage()
        var nameLength = Int32(MemoryLayout<sockaddr_storage>.size)
        let nameResult = withUnsafeMutablePointer(to: &name) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_udp_getsockname(handle, $0, &nameLength) }
        }
        guard nameResult == 0 else {
            close()
            throw .libuv(call: "uv_udp_getsockname", code: nameResult)
        }
        localAddress = withUnsafePointer(to: &name) { storage in
            storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { bound in
                guard let bound = SocketAddress(bound) else {
                    preconditionFailure("getsockname gave address family \(bound.pointee.sa_family) for \(address)")
                }
                return bound
            }
        }
        grantedSendBufferSize = negotiate(uv_send_buffer_size, requested: settings.sendBufferSize)
        grantedReceiveBufferSize = negotiate(uv_recv_buffer_size, requested: settings.receiveBufferSize)
    }

    /// Whether receives are batched with `recvmmsg` (true on Linux); without it libuv reads one datagram per call.
    public var usesBatchedReceive: Bool {
        precondition(state == .open, "usesBatchedReceive on a socket that is \(state)")
        return uv_udp_using_recvmmsg(handle) != 0
    }

    /// Starts delivering datagrams to `handler` on the loop thread.
    ///
    /// - Throws: `RuntimeError.libuv` if libuv cannot start reading.
    public func startReceiving(_ handler: @escaping DatagramHandler) throws(RuntimeError) {
        precondition(state == .open, "startReceiving on a socket that is \(state)")
        precondition(onDatagram == nil, "startReceiving on a socket that is already receiving")
        onDatagram = handler
        let result = uv_udp_recv_start(
            handle,
            { handle, _, buffer in
                buffer!.pointee = UDPSocket.owner(of: handle!).lendReceiveBuffer()
            },
            { handle, count, buffer, address, flags in
                UDPSocket.owner(of: cuv_udp_as_handle(handle!))
                    .didReceive(count: count, bytes: buffer!.pointee.base, from: address, flags: flags)
            })
        guard result == 0 else {
            onDatagram = nil
            throw .libuv(call: "uv_udp_recv_start", code: result)
        }
    }

    /// Stops delivering datagrams; they wait in the kernel's buffer (or are dropped there when it fills).
    public func stopReceiving() {
        guard state == .open, onDatagram != nil else { return }
        uv_udp_recv_stop(handle)
        onDatagram = nil
        // Stopped inside a batch, libuv skips the batch's closing UV_UDP_MMSG_FREE callback: the buffer is ours again.
        receiveBufferLent = false
    }

    /// Sends one datagram to `destination`.
    ///
    /// - Returns: whether the kernel took it, it waits in the pending-send queue, or it was dropped (and why).
    /// - Complexity: O(1); copies the bytes only when the datagram has to wait.
    @discardableResult
    public func send(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> SendOutcome {
        precondition(state == .open, "send on a socket that is \(state)")
        guard datagram.count <= Limits.maxDatagramSize else { return drop(.oversizeSend) }
        guard destination.addressFamily == localAddress.addressFamily else { return drop(.wrongAddressFamily) }
        let result = destination.withSockaddr { address in
            var buffer = uv_buf_t(base: Self.cString(datagram.baseAddress), len: datagram.count)
            return uv_udp_try_send(handle, &buffer, 1, address)
        }
        if result >= 0 {
            counters.sent += 1
            return .sent
        }
        guard result == cuv_eagain() else { return drop(.sendFailed) }
        return enqueue(datagram, to: destination)
    }

    /// Closes the socket. Pending sends are cancelled (counted as `DropReason.cancelledAtClose`) and the memory is
    /// freed when the loop runs the close callback. Calling it again does nothing.
    public func close() {
        guard state == .open else { return }
        state = .closing
        onDatagram = nil
        uv_close(cuv_udp_as_handle(handle)) { handle in
            Unmanaged<UDPSocket>.fromOpaque(uv_handle_get_data(handle!)).takeRetainedValue().didClose()
        }
    }

    // MARK: - Receiving

    private func lendReceiveBuffer() -> uv_buf_t {
        precondition(!receiveBufferLent, "libuv asked for the receive buffer while it still held it")
        receiveBufferLent = true
        return uv_buf_t(base: receiveBuffer, len: receiveBufferSize)
    }

    private func didReceive(
        count: Int, bytes: UnsafeMutablePointer<CChar>?, from address: UnsafePointer<sockaddr>?, flags: UInt32
    ) {
        // Every callback hands the buffer back except a datagram of a recvmmsg batch; the batch ends with a
        // UV_UDP_MMSG_FREE callback (no address) that returns it.
        if flags & UV_UDP_MMSG_CHUNK.rawValue == 0 { receiveBufferLent = false }
        guard count >= 0 else {
            counters.receiveErrors += 1
            return
        }
        // No address: nothing more to read for now, or the end of a batch. A handler that closed the socket or
        // stopped receiving mid-batch gets none of the batch's remaining datagrams.
        guard let address, state == .open, let handler = onDatagram else { return }
        guard flags & UV_UDP_PARTIAL.rawValue == 0 else {
            counters[dropped: .truncatedReceive] += 1
            return
        }
        guard count <= Limits.maxDatagramSize else {
            counters[dropped: .oversizeReceive] += 1
            return
        }
        guard let source = SocketAddress(address) else {
            counters.receiveErrors += 1
            return
        }
        counters.received += 1
        handler(UnsafeRawBufferPointer(start: bytes, count: count), source)
    }

    // MARK: - Sending

    /// Copies the datagram into a free pending-send slot and hands it to `uv_udp_send`.
    ///
    /// Internal rather than private so that a test can stand in for the kernel's `EAGAIN`, which loopback never
    /// returns (the loopback device releases the send buffer before `sendmsg` returns).
    func enqueue(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> SendOutcome {
        guard let slot = freeSendSlots.popLast() else { return drop(.sendQueueFull) }
        let payload = sendPayloads + slot * Limits.maxDatagramSize
        if let base = datagram.baseAddress { payload.copyMemory(from: base, byteCount: datagram.count) }
        let result = destination.withSockaddr { address in
            var buffer = uv_buf_t(base: Self.cString(payload), len: datagram.count)
            return uv_udp_send(sendRequests + slot, handle, &buffer, 1, address) { request, status in
                let handle = cuv_udp_as_handle(request!.pointee.handle)!
                UDPSocket.owner(of: handle).didCompleteQueuedSend(request!, status: status)
            }
        }
        guard result == 0 else {
            freeSendSlots.append(slot)
            return drop(.sendFailed)
        }
        counters.queued += 1
        return .queued
    }

    private func didCompleteQueuedSend(_ request: UnsafeMutablePointer<uv_udp_send_t>, status: Int32) {
        freeSendSlots.append(request - sendRequests)
        if status == 0 {
            counters.sent += 1
        } else {
            counters[dropped: status == cuv_ecanceled() ? .cancelledAtClose : .sendFailed] += 1
        }
    }

    private func drop(_ reason: DropReason) -> SendOutcome {
        counters[dropped: reason] += 1
        return .dropped(reason)
    }

    // MARK: - Set-up and tear-down

    /// Asks for `requested` bytes, ignoring a refusal (best effort), and returns what the kernel then reports.
    private func negotiate(
        _ bufferSize: (UnsafeMutablePointer<uv_handle_t>?, UnsafeMutablePointer<Int32>?) -> Int32, requested: Int
    ) -> Int {
        var value = Int32(clamping: requested)
        _ = bufferSize(cuv_udp_as_handle(handle), &value)
        var granted: Int32 = 0  // 0 asks libuv to read the size instead of setting it
        guard bufferSize(cuv_udp_as_handle(handle), &granted) == 0 else { return 0 }
        return Int(granted)
    }

    private func didClose() {
        state = .closed
        onDatagram = nil
        freeMemory()
    }

    private func freeMemory() {
        handle.deallocate()
        receiveBuffer.deallocate()
        sendRequests.deallocate()
        sendPayloads.deallocate()
    }

    /// libuv's buffers are `char *` but never written through on send; the bytes are only passed on to the kernel.
    private static func cString(_ bytes: UnsafeRawPointer?) -> UnsafeMutablePointer<CChar>? {
        bytes.map { UnsafeMutablePointer<CChar>(OpaquePointer($0)) }
    }

    private static func owner(of handle: UnsafeMutablePointer<uv_handle_t>) -> UDPSocket {
        Unmanaged<UDPSocket>.fromOpaque(uv_handle_get_data(handle)).takeUnretainedValue()
    }
}

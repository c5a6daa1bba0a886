internal import CLibUV
import Glibc
public import MeshCore

/// A UDP socket on an event loop, bound to one IPv4 or IPv6 address: the node's door to the network.
///
/// Receiving reads up to `Settings.receiveBatchSize` datagrams per system call (`recvmmsg`) into one buffer
/// allocated at bind time and hands each to the handler as a borrowed byte view, so the receive path does not
/// allocate.
///
/// Sending batches: `send` copies the datagram into a preallocated batch of `Settings.sendBatchSize`, and the batch
/// goes to the kernel in one `sendmmsg` call when it is full, when `flush()` is called, and otherwise once per loop
/// iteration, by a prepare handle that runs before the loop waits for I/O, so that everything sent while handling
/// one receive batch or one round of timers leaves together. libuv 1.44 has no batched send, and on loopback the
/// per-call cost of `sendmsg` (the whole trip through the stack, the receiver's wake-up included) is most of the
/// cost of a datagram. Runs of datagrams to one address with one size go as one UDP GSO message where the kernel
/// allows it (`Settings.allowsSegmentationOffload`). Only when the kernel says `EAGAIN` is a datagram copied into one
/// of `Settings.maxPendingSends` preallocated slots and handed to `uv_udp_send`, which waits for the socket to be
/// writable. Order is kept: while any slot is in flight the batch goes behind it into the queue. Datagrams over
/// `Limits.maxDatagramSize` are dropped in both directions and counted.
///
/// An IPv6 socket is bound with `IPV6_V6ONLY`, so a node that wants both families opens one socket per family.
public final class UDPSocket {
    /// Receives a datagram on the loop thread: the bytes are valid only during the call.
    public typealias DatagramHandler = (_ bytes: UnsafeRawBufferPointer, _ from: SocketAddress) -> Void

    /// What became of one `send`.
    public enum SendOutcome: Sendable, Hashable {
        /// The datagram waits in the send batch, which goes to the kernel before the loop next waits for I/O (or at
        /// `flush()`); `counters` says what became of it then.
        case batched
        /// The datagram was refused at once and counted.
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
    public internal(set) var counters = Counters()
    /// Whether runs of datagrams in a batch go to the kernel as UDP GSO messages: allowed by the settings, known to
    /// the kernel, and not refused by it yet.
    public internal(set) var usesSegmentationOffload = false

    let handle: UnsafeMutablePointer<uv_udp_t>
    /// The socket's descriptor, for the system calls libuv does not make (`sendmmsg`); -1 until bound.
    private(set) var descriptor: Int32 = -1
    /// Flushes the send batch once per loop iteration, after the timers and just before the loop waits for I/O: no
    /// datagram waits in the batch while the loop sleeps.
    private let prepareHandle: UnsafeMutablePointer<uv_prepare_t>
    /// Handles (the socket and the prepare handle) whose close callbacks have yet to run after `close()`.
    private var handlesClosing = 0
    /// Datagrams sent since the last flush.
    var sendBatch: SendBatch
    private let receiveBuffer: UnsafeMutablePointer<CChar>
    private let receiveBufferSize: Int
    /// Whether libuv holds `receiveBuffer` between an allocation callback and the callback that returns it.
    private var receiveBufferLent = false
    let sendRequests: UnsafeMutablePointer<uv_udp_send_t>
    let sendPayloads: UnsafeMutableRawPointer
    /// Indices of the pending-send slots not in flight; its capacity is reserved up front, so it never reallocates.
    var freeSendSlots: [Int]
    private var onDatagram: DatagramHandler?
    private(set) var state = HandleState.open

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
        precondition(settings.sendBatchSize >= 1, "sendBatchSize \(settings.sendBatchSize) is below 1")
        precondition(
            settings.sendBufferSize > 0 && settings.receiveBufferSize > 0, "socket buffer sizes must be positive")
        self.settings = settings
        localAddress = address
        handle = .allocate(capacity: 1)
        prepareHandle = .allocate(capacity: 1)
        sendBatch = SendBatch(capacity: settings.sendBatchSize)
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
        startFlushHook(on: loop)

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
        var descriptor: uv_os_fd_t = -1
        let filenoResult = uv_fileno(cuv_udp_as_handle(handle), &descriptor)
        guard filenoResult == 0 else {
            close()
            throw .libuv(call: "uv_fileno", code: filenoResult)
        }
        self.descriptor = descriptor
        usesSegmentationOffload = settings.allowsSegmentationOffload && cuv_udp_segmentation_supported(descriptor) != 0
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

    /// Adds one datagram for `destination` to the send batch, which goes to the kernel when it is full, at
    /// `flush()`, or before the loop next waits for I/O; what then becomes of it shows in `counters`.
    ///
    /// - Returns: `.batched`, or `.dropped` (and why) when the datagram is refused at once.
    /// - Complexity: O(1) but for the flush of a full batch; copies the bytes.
    @discardableResult
    public func send(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> SendOutcome {
        precondition(state == .open, "send on a socket that is \(state)")
        guard datagram.count <= Limits.maxDatagramSize else { return .dropped(drop(.oversizeSend)) }
        guard destination.addressFamily == localAddress.addressFamily else {
            return .dropped(drop(.wrongAddressFamily))
        }
        sendBatch.append(datagram, to: destination)
        if sendBatch.isFull { flush() }
        return .batched
    }

    /// Closes the socket. Pending sends are cancelled (counted as `DropReason.cancelledAtClose`) and the memory is
    /// freed when the loop runs the close callbacks. Calling it again does nothing.
    ///
    /// The send batch is flushed first, so that what was sent before closing (a CLOSE frame, say) still leaves.
    public func close() {
        guard state == .open else { return }
        flush()
        state = .closing
        onDatagram = nil
        handlesClosing = 2
        uv_close(cuv_prepare_as_handle(prepareHandle)) { UDPSocket.didClose($0!) }
        uv_close(cuv_udp_as_handle(handle)) { UDPSocket.didClose($0!) }
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

    /// Starts the prepare handle that flushes the send batch. It is unreferenced: a socket keeps the loop running by
    /// its reads and pending sends, not by this.
    private func startFlushHook(on loop: EventLoop) {
        // It only links the handle into the loop; libuv has no failure to report.
        precondition(uv_prepare_init(loop.uvLoop, prepareHandle) == 0, "uv_prepare_init failed")
        uv_handle_set_data(cuv_prepare_as_handle(prepareHandle), Unmanaged.passUnretained(self).toOpaque())
        uv_prepare_start(prepareHandle) { UDPSocket.owner(of: cuv_prepare_as_handle($0!)).flushBeforeWaiting() }
        uv_unref(cuv_prepare_as_handle(prepareHandle))
    }

    private func flushBeforeWaiting() {
        if state == .open && !sendBatch.isEmpty { flush() }
    }

    /// Runs once per handle closed; the last one frees the memory and then gives up the reference the loop held
    /// (taken in `init`), outside the socket's own methods, since it may be the last.
    private static func didClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {
        let reference = Unmanaged<UDPSocket>.fromOpaque(uv_handle_get_data(handle))
        let socket = reference.takeUnretainedValue()
        socket.handlesClosing -= 1
        guard socket.handlesClosing == 0 else { return }
        socket.state = .closed
        socket.onDatagram = nil
        socket.freeMemory()
        reference.release()
    }

    private func freeMemory() {
        handle.deallocate()
        prepareHandle.deallocate()
        receiveBuffer.deallocate()
        sendRequests.deallocate()
        sendPayloads.deallocate()
    }

    /// libuv's buffers are `char *` but never written through on send; the bytes are only passed on to the kernel.
    static func cString(_ bytes: UnsafeRawPointer?) -> UnsafeMutablePointer<CChar>? {
        bytes.map { UnsafeMutablePointer<CChar>(OpaquePointer($0)) }
    }

    static func owner(of handle: UnsafeMutablePointer<uv_handle_t>) -> UDPSocket {
        Unmanaged<UDPSocket>.fromOpaque(uv_handle_get_data(handle)).takeUnretainedValue()
    }
}

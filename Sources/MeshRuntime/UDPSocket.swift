internal import CLibUV
import Glibc
public import MeshCore

/// A UDP socket on an event loop, bound to one IPv4 or IPv6 address: the node's door to the network.
///
/// The socket is a non-blocking descriptor of its own that a libuv poll handle watches for readiness; the reads and
/// writes are the socket's, because libuv 1.44's UDP handle sends one datagram per system call and reads without
/// control messages, and on loopback the per-call cost of the kernel's path (the receiver's wake-up included) is
/// most of the cost of a datagram.
///
/// Receiving reads up to `Settings.receiveBatchSize` messages per system call (`recvmmsg`) into buffers allocated at
/// bind time and hands each datagram to the handler as a borrowed byte view, so the receive path does not allocate.
/// Where the kernel allows it (`Settings.allowsReceiveOffload`, UDP GRO), a message holds a whole run of datagrams
/// that a peer sent with GSO, which the socket cuts apart again by the segment size the kernel reports.
///
/// Sending batches: `send` copies the datagram into a preallocated batch of `Settings.sendBatchSize`, and the batch
/// goes to the kernel in one `sendmmsg` call when it is full, when `flush()` is called, and otherwise once per loop
/// iteration, by a prepare handle that runs before the loop waits for I/O, so that everything sent while handling
/// one receive batch or one round of timers leaves together. Runs of datagrams to one address with one size go as
/// one UDP GSO message where the kernel allows it (`Settings.allowsSegmentationOffload`). When the kernel says
/// `EAGAIN`, the rest waits in a queue of `Settings.maxPendingSends` preallocated slots until the socket is
/// writable; later batches queue behind it, so order is kept, and beyond it datagrams are dropped and counted.
/// Datagrams over `Limits.maxDatagramSize` are dropped in both directions and counted.
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

    /// The most messages read in one `recvmmsg` call. Each takes a 64 KiB buffer (a coalesced run can be that
    /// long), so this bounds the receive memory of a socket at 1.25 MiB.
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
    /// Whether the kernel may hand over runs of datagrams coalesced (UDP GRO): allowed by the settings and agreed to
    /// by the kernel.
    public private(set) var usesReceiveOffload = false

    /// The socket's descriptor; the socket closes it once libuv has let go of it.
    let descriptor: Int32
    /// Tells the loop when the descriptor is readable (while receiving) or writable (while sends are queued).
    private let pollHandle: UnsafeMutablePointer<uv_poll_t>
    /// What `pollHandle` watches now, as libuv's `UV_READABLE | UV_WRITABLE` bits.
    private var polledEvents: UInt32 = 0
    /// Flushes the send batch once per loop iteration, after the timers and just before the loop waits for I/O: no
    /// datagram waits in the batch while the loop sleeps.
    private let prepareHandle: UnsafeMutablePointer<uv_prepare_t>
    /// Handles (the poll and the prepare handle) whose close callbacks have yet to run after `close()`.
    private var handlesClosing = 0
    /// Datagrams sent since the last flush.
    var sendBatch: SendBatch
    /// Datagrams the kernel could not take yet (`EAGAIN`), oldest first, at most `Settings.maxPendingSends`.
    var pendingSends: SendBatch
    private let receiveBatch: ReceiveBatch
    private var onDatagram: DatagramHandler?
    private(set) var state = HandleState.open

    /// Opens a UDP socket on `loop` bound to `address` (port 0 for an ephemeral port) and sizes its buffers.
    ///
    /// Receiving starts with `startReceiving(_:)`.
    ///
    /// - Throws: `RuntimeError.bindFailed` if the address cannot be bound (in use, not on this host);
    ///   `RuntimeError.libuv` if no socket can be created, with the system's error number negated, as libuv reports
    ///   errors on Linux.
    public init(loop: EventLoop, address: SocketAddress, settings: Settings = Settings()) throws(RuntimeError) {
        precondition(
            (1...Self.maxReceiveBatchSize).contains(settings.receiveBatchSize),
            "receiveBatchSize \(settings.receiveBatchSize) is outside 1...\(Self.maxReceiveBatchSize)")
        precondition(settings.maxPendingSends >= 0, "maxPendingSends \(settings.maxPendingSends) is negative")
        precondition(settings.sendBatchSize >= 1, "sendBatchSize \(settings.sendBatchSize) is below 1")
        precondition(
            settings.sendBufferSize > 0 && settings.receiveBufferSize > 0, "socket buffer sizes must be positive")
        let (descriptor, bound) = try Self.openSocket(bindingTo: address)
        self.settings = settings
        self.descriptor = descriptor
        localAddress = bound
        pollHandle = .allocate(capacity: 1)
        prepareHandle = .allocate(capacity: 1)
        sendBatch = SendBatch(capacity: settings.sendBatchSize)
        pendingSends = SendBatch(capacity: max(1, settings.maxPendingSends))
        receiveBatch = ReceiveBatch(capacity: settings.receiveBatchSize)

        let pollResult = uv_poll_init_socket(loop.uvLoop, pollHandle, descriptor)
        guard pollResult == 0 else {
            Glibc.close(descriptor)
            freeHandles()
            throw .libuv(call: "uv_poll_init_socket", code: pollResult)
        }
        // The loop's reference: given up when the last of the socket's handles has closed.
        uv_handle_set_data(cuv_poll_as_handle(pollHandle), Unmanaged.passRetained(self).toOpaque())
        startFlushHook(on: loop)
        grantedSendBufferSize = negotiate(SO_SNDBUF, requested: settings.sendBufferSize)
        grantedReceiveBufferSize = negotiate(SO_RCVBUF, requested: settings.receiveBufferSize)
        usesSegmentationOffload = settings.allowsSegmentationOffload && cuv_udp_segmentation_supported(descriptor) != 0
        usesReceiveOffload = settings.allowsReceiveOffload && cuv_udp_enable_receive_offload(descriptor) != 0
    }

    /// Starts delivering datagrams to `handler` on the loop thread.
    ///
    /// - Throws: `RuntimeError.libuv` if libuv cannot watch the socket.
    public func startReceiving(_ handler: @escaping DatagramHandler) throws(RuntimeError) {
        precondition(state == .open, "startReceiving on a socket that is \(state)")
        precondition(onDatagram == nil, "startReceiving on a socket that is already receiving")
        onDatagram = handler
        let result = updatePolling()
        guard result == 0 else {
            onDatagram = nil
            throw .libuv(call: "uv_poll_start", code: result)
        }
    }

    /// Stops delivering datagrams; they wait in the kernel's buffer (or are dropped there when it fills).
    public func stopReceiving() {
        guard state == .open, onDatagram != nil else { return }
        onDatagram = nil
        _ = updatePolling()
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

    /// Closes the socket. Sends still waiting for the socket to be writable are cancelled (counted as
    /// `DropReason.cancelledAtClose`), and the descriptor is closed and the memory freed when the loop runs the close
    /// callbacks. Calling it again does nothing.
    ///
    /// The send batch is flushed first, so that what was sent before closing (a CLOSE frame, say) still leaves.
    public func close() {
        guard state == .open else { return }
        flush()
        state = .closing
        onDatagram = nil
        counters[dropped: .cancelledAtClose] += UInt64(pendingSends.count)
        pendingSends.removeAll()
        handlesClosing = 2
        uv_close(cuv_prepare_as_handle(prepareHandle)) { UDPSocket.didClose($0!) }
        uv_close(cuv_poll_as_handle(pollHandle)) { UDPSocket.didClose($0!) }
    }

    // MARK: - Readiness

    /// Watches the descriptor for what the socket waits for: reading while it receives, writing while sends are
    /// queued. Returns libuv's result (0 on success).
    func updatePolling() -> Int32 {
        let wanted =
            (onDatagram == nil ? 0 : UV_READABLE.rawValue) | (pendingSends.isEmpty ? 0 : UV_WRITABLE.rawValue)
        guard state == .open, wanted != polledEvents else { return 0 }
        guard wanted != 0 else {
            polledEvents = 0
            return uv_poll_stop(pollHandle)
        }
        let result = uv_poll_start(pollHandle, Int32(wanted)) { handle, status, events in
            UDPSocket.owner(of: cuv_poll_as_handle(handle!)).didBecomeReady(status: status, events: UInt32(events))
        }
        if result == 0 { polledEvents = wanted }
        return result
    }

    private func didBecomeReady(status: Int32, events: UInt32) {
        guard status == 0 else {
            counters.receiveErrors += 1
            return
        }
        if events & UV_WRITABLE.rawValue != 0 { sendPending() }
        if events & UV_READABLE.rawValue != 0 { receive() }
    }

    // MARK: - Receiving

    /// Reads one batch of messages and delivers their datagrams, stopping as soon as the handler closes the socket
    /// or stops receiving. One batch per wake-up, so that the replies to it (acknowledgments) leave before the next
    /// is read; the descriptor stays readable while datagrams wait, so the loop comes straight back.
    private func receive() {
        receiveBatch.prepare()
        let count = cuv_recvmmsg(descriptor, receiveBatch.messages, UInt32(receiveBatch.capacity))
        guard count > 0 else {
            if count != -EAGAIN && count != -EINTR { counters.receiveErrors += 1 }
            return
        }
        for index in 0..<Int(count) {
            let (bytes, segmentSize, isTruncated, address) = receiveBatch.message(index)
            guard !isTruncated else {
                counters[dropped: .truncatedReceive] += 1
                continue
            }
            guard let source = SocketAddress(address) else {
                counters.receiveErrors += 1
                continue
            }
            if segmentSize < bytes.count { counters.coalescedReceives += 1 }
            var offset = 0
            repeat {
                let datagram = UnsafeRawBufferPointer(rebasing: bytes[offset..<min(offset + segmentSize, bytes.count)])
                offset += segmentSize
                // A handler that closed the socket or stopped receiving gets none of the remaining datagrams.
                guard state == .open, let handler = onDatagram else { return }
                guard datagram.count <= Limits.maxDatagramSize else {
                    counters[dropped: .oversizeReceive] += 1
                    continue
                }
                counters.received += 1
                handler(datagram, source)
            } while offset < bytes.count
        }
    }

    // MARK: - Set-up and tear-down

    /// Creates a non-blocking socket bound to `address` and reads back the address it got.
    private static func openSocket(bindingTo address: SocketAddress) throws(RuntimeError) -> (Int32, SocketAddress) {
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let descriptor = socket(address.addressFamily, type, 0)
        guard descriptor >= 0 else { throw .libuv(call: "socket", code: -errno) }
        var bound = address
        do throws(RuntimeError) {
            if address.addressFamily == AF_INET6 {
                var on: Int32 = 1
                guard
                    setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
                        == 0
                else { throw .libuv(call: "setsockopt(IPV6_V6ONLY)", code: -errno) }
            }
            let bindResult = address.withSockaddr { name in
                Glibc.bind(descriptor, name, Self.length(ofFamily: address.addressFamily))
            }
            guard bindResult == 0 else { throw .bindFailed(address: address, code: -errno) }
            var name = sockaddr_storage()
            var nameLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let nameResult = withUnsafeMutablePointer(to: &name) { storage in
                storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &nameLength) }
            }
            guard nameResult == 0 else { throw .libuv(call: "getsockname", code: -errno) }
            bound = withUnsafePointer(to: &name) { storage in
                storage.withMemoryRebound(to: sockaddr.self, capacity: 1) { name in
                    guard let bound = SocketAddress(name) else {
                        preconditionFailure("getsockname gave address family \(name.pointee.sa_family) for \(address)")
                    }
                    return bound
                }
            }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        return (descriptor, bound)
    }

    /// The length of a `sockaddr_in` or `sockaddr_in6`.
    static func length(ofFamily family: Int32) -> socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    /// Asks for `requested` bytes of buffer `option`, ignoring a refusal (best effort), and returns what the kernel
    /// then reports.
    private func negotiate(_ option: Int32, requested: Int) -> Int {
        let size = socklen_t(MemoryLayout<Int32>.size)
        var value = Int32(clamping: requested)
        _ = setsockopt(descriptor, SOL_SOCKET, option, &value, size)
        var granted: Int32 = 0
        var grantedSize = size
        guard getsockopt(descriptor, SOL_SOCKET, option, &granted, &grantedSize) == 0 else { return 0 }
        return Int(granted)
    }

    /// Starts the prepare handle that flushes the send batch. It is unreferenced: a socket keeps the loop running by
    /// what it waits for (datagrams to read, sends to finish), not by this.
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

    /// Runs once per handle closed; the last one closes the descriptor (libuv no longer watches it), frees the
    /// memory and then gives up the loop's reference, outside the socket's own methods, since it may be the last.
    private static func didClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {
        let reference = Unmanaged<UDPSocket>.fromOpaque(uv_handle_get_data(handle))
        let socket = reference.takeUnretainedValue()
        socket.handlesClosing -= 1
        guard socket.handlesClosing == 0 else { return }
        socket.state = .closed
        Glibc.close(socket.descriptor)
        socket.freeHandles()
        reference.release()
    }

    private func freeHandles() {
        pollHandle.deallocate()
        prepareHandle.deallocate()
    }

    private static func owner(of handle: UnsafeMutablePointer<uv_handle_t>) -> UDPSocket {
        Unmanaged<UDPSocket>.fromOpaque(uv_handle_get_data(handle)).takeUnretainedValue()
    }
}

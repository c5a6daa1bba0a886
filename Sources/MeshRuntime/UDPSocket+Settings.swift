extension UDPSocket {
    /// How a UDP socket is set up. Every buffer and queue it has is bounded by one of these.
    public struct Settings: Sendable, Equatable {
        /// The send buffer asked of the kernel (`SO_SNDBUF`), 4 MiB. Best effort: Linux caps it at
        /// `net.core.wmem_max`; `UDPSocket.grantedSendBufferSize` says what was granted.
        public var sendBufferSize = 4 << 20
        /// The receive buffer asked of the kernel (`SO_RCVBUF`), 4 MiB, so that bursts wait in the kernel rather
        /// than being dropped. Best effort: Linux caps it at `net.core.rmem_max`.
        public var receiveBufferSize = 4 << 20
        /// Messages read per `recvmmsg` call, 16, at most `UDPSocket.maxReceiveBatchSize`. Each has a 64 KiB buffer,
        /// so that a run of datagrams coalesced by the kernel fits (16 take 1 MiB of memory per socket).
        public var receiveBatchSize = 16
        /// Datagrams held when the kernel cannot take a send at once (`EAGAIN`) until the socket is writable, 256;
        /// beyond that sends are dropped and counted as `DropReason.sendQueueFull`, as a congested router would. Each
        /// takes 1200 bytes.
        public var maxPendingSends = 256
        /// Datagrams collected before they are handed to the kernel together, 64 (1200 bytes of memory each).
        ///
        /// The socket sends a batch when it is full and otherwise once per loop iteration, so this bounds both the
        /// memory and the datagrams one `sendmmsg` call carries; 64 is enough for the per-call cost to vanish next
        /// to the per-datagram cost. 1 sends every datagram on its own (still at the end of the loop iteration).
        public var sendBatchSize = 64
        /// Whether datagrams of a batch that go to one address with one size may leave as one UDP GSO message
        /// (`UDP_SEGMENT`), true. The kernel then routes the run once and cuts it into datagrams afterwards, which
        /// on loopback costs a fraction of sending each. The socket uses it only where the kernel supports it, and
        /// stops using it for good when the kernel refuses a GSO message (`EIO`, `EINVAL`).
        public var allowsSegmentationOffload = true
        /// Whether the kernel may hand over a run of datagrams from one sender as one coalesced message (UDP GRO,
        /// Linux 5.0), true: on loopback a GSO run then reaches the receiver without being cut apart and queued
        /// datagram by datagram, and is read with one copy. The socket cuts it apart by the segment size the kernel
        /// reports.
        public var allowsReceiveOffload = true

        /// The defaults above.
        public init() {}
    }
}

extension UDPSocket {
    /// How a UDP socket is set up. Every buffer and queue it has is bounded by one of these.
    public struct Settings: Sendable, Equatable {
        /// The send buffer asked of the kernel (`SO_SNDBUF`), 4 MiB. Best effort: Linux caps it at
        /// `net.core.wmem_max`; `UDPSocket.grantedSendBufferSize` says what was granted.
        public var sendBufferSize = 4 << 20
        /// The receive buffer asked of the kernel (`SO_RCVBUF`), 4 MiB, so that bursts wait in the kernel rather
        /// than being dropped. Best effort: Linux caps it at `net.core.rmem_max`.
        public var receiveBufferSize = 4 << 20
        /// Datagrams read per `recvmmsg` call, 16. libuv gives each a 64 KiB slot (so 16 take 1 MiB of memory per
        /// socket) and reads at most `UDPSocket.maxReceiveBatchSize` at once.
        public var receiveBatchSize = 16
        /// Datagrams held when the kernel cannot take a send at once (`EAGAIN`), 256; beyond that sends are dropped
        /// and counted as `DropReason.sendQueueFull`, as a congested router would. Each takes 1200 bytes.
        public var maxPendingSends = 256

        /// The defaults above.
        public init() {}
    }
}

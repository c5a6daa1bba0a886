extension UDPSocket {
    /// Why a datagram was dropped by the socket rather than sent or delivered.
    public enum DropReason: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A send larger than `Limits.maxDatagramSize` (1200 bytes) was refused.
        case oversizeSend
        /// A send to an address of the other family (IPv4 on an IPv6 socket or the reverse) was refused.
        case wrongAddressFamily
        /// The kernel could not take a send at once and the pending-send queue was full.
        case sendQueueFull
        /// The kernel refused a send (no route, address not available, ...).
        case sendFailed
        /// A pending send was still queued when the socket closed.
        case cancelledAtClose
        /// A received datagram was larger than `Limits.maxDatagramSize`.
        case oversizeReceive
        /// A received datagram did not fit the receive buffer (`MSG_TRUNC`).
        case truncatedReceive

        /// The metric label, e.g. `oversize_send`.
        public var description: String {
            switch self {
            case .oversizeSend: "oversize_send"
            case .wrongAddressFamily: "wrong_address_family"
            case .sendQueueFull: "send_queue_full"
            case .sendFailed: "send_failed"
            case .cancelledAtClose: "cancelled_at_close"
            case .oversizeReceive: "oversize_receive"
            case .truncatedReceive: "truncated_receive"
            }
        }

        /// Whether the reason is about a datagram on its way out (one the socket was asked to send) rather than
        /// one that arrived.
        public var isOutgoing: Bool {
            switch self {
            case .oversizeSend, .wrongAddressFamily, .sendQueueFull, .sendFailed, .cancelledAtClose: true
            case .oversizeReceive, .truncatedReceive: false
            }
        }
    }

    /// What a socket has done since it was bound; read by the metrics exporter.
    public struct Counters: Sendable, Equatable {
        /// Datagrams delivered to the receive handler.
        public internal(set) var received: UInt64 = 0
        /// Datagrams the kernel accepted for sending, directly or after waiting in the pending-send queue.
        public internal(set) var sent: UInt64 = 0
        /// Sends that had to wait in the pending-send queue (the kernel said `EAGAIN`).
        public internal(set) var queued: UInt64 = 0
        /// Errors reported by the kernel on receive (not datagrams: nothing was read).
        public internal(set) var receiveErrors: UInt64 = 0
        /// `sendmmsg` system calls made; `sent` divided by it is how many datagrams a call carried on average.
        public internal(set) var sendCalls: UInt64 = 0
        /// UDP GSO messages the kernel took, each carrying several datagrams (counted in `sent` one by one).
        public internal(set) var segmentedMessages: UInt64 = 0
        /// Runs of several datagrams the kernel handed over coalesced (UDP GRO), each cut apart again and counted in
        /// `received` datagram by datagram.
        public internal(set) var coalescedReceives: UInt64 = 0

        private var oversizeSend: UInt64 = 0
        private var wrongAddressFamily: UInt64 = 0
        private var sendQueueFull: UInt64 = 0
        private var sendFailed: UInt64 = 0
        private var cancelledAtClose: UInt64 = 0
        private var oversizeReceive: UInt64 = 0
        private var truncatedReceive: UInt64 = 0

        /// All zeros.
        public init() {}

        /// Datagrams dropped for `reason`.
        public internal(set) subscript(dropped reason: DropReason) -> UInt64 {
            get {
                switch reason {
                case .oversizeSend: oversizeSend
                case .wrongAddressFamily: wrongAddressFamily
                case .sendQueueFull: sendQueueFull
                case .sendFailed: sendFailed
                case .cancelledAtClose: cancelledAtClose
                case .oversizeReceive: oversizeReceive
                case .truncatedReceive: truncatedReceive
                }
            }
            set {
                switch reason {
                case .oversizeSend: oversizeSend = newValue
                case .wrongAddressFamily: wrongAddressFamily = newValue
                case .sendQueueFull: sendQueueFull = newValue
                case .sendFailed: sendFailed = newValue
                case .cancelledAtClose: cancelledAtClose = newValue
                case .oversizeReceive: oversizeReceive = newValue
                case .truncatedReceive: truncatedReceive = newValue
                }
            }
        }

        /// Datagrams dropped for any reason.
        public var dropped: UInt64 { DropReason.allCases.reduce(0) { $0 + self[dropped: $1] } }

        /// Adds `other`'s counts to these, field by field: the counters of several sockets as one.
        public mutating func add(_ other: Counters) {
            received += other.received
            sent += other.sent
            queued += other.queued
            receiveErrors += other.receiveErrors
            sendCalls += other.sendCalls
            segmentedMessages += other.segmentedMessages
            coalescedReceives += other.coalescedReceives
            for reason in DropReason.allCases { self[dropped: reason] += other[dropped: reason] }
        }
    }
}

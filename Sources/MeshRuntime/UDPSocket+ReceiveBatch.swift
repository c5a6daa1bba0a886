internal import CLibUV
import Glibc
import MeshCore

extension UDPSocket {
    /// The buffers one `recvmmsg` call reads into: per message a slot large enough for any UDP payload, the
    /// sender's address and room for the `UDP_GRO` control message. All memory is allocated once, in `init`.
    struct ReceiveBatch: ~Copyable {
        /// Bytes of each slot: more than the largest UDP payload (65507 bytes over IPv4, 65527 over IPv6), so that
        /// neither a datagram nor a run the kernel coalesced is ever truncated.
        static let slotSize = 64 * 1024

        /// The most messages one call reads.
        let capacity: Int
        /// The messages for `cuv_recvmmsg`, ready after `prepare()`.
        let messages: UnsafeMutablePointer<cuv_mmsghdr>

        private let slots: UnsafeMutableRawPointer
        private let vectors: UnsafeMutablePointer<iovec>
        private let names: UnsafeMutablePointer<sockaddr_storage>
        private let controls: UnsafeMutableRawPointer
        private let controlSize: Int

        /// Buffers for `capacity` messages.
        init(capacity: Int) {
            precondition(capacity >= 1, "a receive batch reads at least one message, not \(capacity)")
            self.capacity = capacity
            messages = .allocate(capacity: capacity)
            slots = .allocate(byteCount: capacity * Self.slotSize, alignment: 16)
            vectors = .allocate(capacity: capacity)
            names = .allocate(capacity: capacity)
            controlSize = cuv_udp_receive_control_size()
            controls = .allocate(byteCount: capacity * controlSize, alignment: 16)
            for index in 0..<capacity {
                vectors[index] = iovec(iov_base: slots + index * Self.slotSize, iov_len: Self.slotSize)
            }
        }

        deinit {
            messages.deallocate()
            slots.deallocate()
            vectors.deallocate()
            names.deallocate()
            controls.deallocate()
        }

        /// Resets every message for the next call: the kernel shrinks the address and control lengths it fills.
        func prepare() {
            for index in 0..<capacity {
                let message = messages + index
                message.pointee = cuv_mmsghdr()
                message.pointee.header.msg_name = UnsafeMutableRawPointer(names + index)
                message.pointee.header.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                message.pointee.header.msg_iov = vectors + index
                message.pointee.header.msg_iovlen = 1
                message.pointee.header.msg_control = controls + index * controlSize
                message.pointee.header.msg_controllen = controlSize
            }
        }

        /// What message `index` of the last call holds: its bytes, the size of each datagram in them (all the
        /// bytes unless the kernel coalesced a run, whose datagrams are that size but the last, which may be
        /// shorter), whether the kernel had to cut it short, and the sender's address.
        func message(
            _ index: Int
        ) -> (bytes: UnsafeRawBufferPointer, segmentSize: Int, isTruncated: Bool, source: UnsafePointer<sockaddr>) {
            let message = messages + index
            let length = Int(message.pointee.length)
            let segmentSize = Int(cuv_udp_received_segment_size(&message.pointee.header))
            let isTruncated = message.pointee.header.msg_flags & Int32(MSG_TRUNC) != 0
            let source = UnsafeRawPointer(names + index).assumingMemoryBound(to: sockaddr.self)
            let bytes = UnsafeRawBufferPointer(start: vectors[index].iov_base, count: length)
            return (bytes, segmentSize > 0 ? segmentSize : length, isTruncated, source)
        }
    }
}

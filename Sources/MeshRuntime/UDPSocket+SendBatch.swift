internal import CLibUV
import Glibc
import MeshCore

extension UDPSocket {
    /// Datagrams waiting to be handed to the kernel together, and the `sendmmsg` messages they make: the batch a
    /// socket collects during a loop iteration, and the queue of those that wait for the socket to be writable.
    ///
    /// Each datagram is copied into a slot of `Limits.maxDatagramSize` bytes with its destination already in
    /// `sockaddr` form, and has one `iovec`, so a message is a range of consecutive `iovec`s: one datagram, or a
    /// GSO run that the kernel cuts back into datagrams. All memory is allocated once, in `init`; nothing here
    /// makes a system call.
    struct SendBatch: ~Copyable {
        /// The most bytes one GSO message may carry: the largest UDP payload of an IPv4 datagram (65535 less the
        /// 20-byte IP and 8-byte UDP headers), which also fits IPv6.
        static let maxSegmentedBytes = 65_507
        /// The most datagrams one GSO message may carry (`UDP_MAX_SEGMENTS` of Linux 4.18).
        static let maxSegments = Int(CUV_UDP_MAX_SEGMENTS)

        /// The most datagrams the batch holds.
        let capacity: Int
        /// The messages `prepareMessages` made, for `cuv_sendmmsg`.
        let messages: UnsafeMutablePointer<cuv_mmsghdr>
        /// How many datagrams the batch holds.
        private(set) var count = 0

        private let payloads: UnsafeMutableRawPointer
        private let vectors: UnsafeMutablePointer<iovec>
        private let names: UnsafeMutablePointer<sockaddr_storage>
        private let nameLengths: UnsafeMutablePointer<socklen_t>
        private var destinations: [SocketAddress]
        /// Datagrams in each message that `prepareMessages` made.
        private let messageSizes: UnsafeMutablePointer<Int>
        private let controls: UnsafeMutableRawPointer
        private let controlSize: Int

        /// An empty batch with room for `capacity` datagrams.
        init(capacity: Int) {
            precondition(capacity >= 1, "a send batch holds at least one datagram, not \(capacity)")
            self.capacity = capacity
            messages = .allocate(capacity: capacity)
            payloads = .allocate(byteCount: capacity * Limits.maxDatagramSize, alignment: 16)
            vectors = .allocate(capacity: capacity)
            names = .allocate(capacity: capacity)
            nameLengths = .allocate(capacity: capacity)
            destinations = []
            destinations.reserveCapacity(capacity)
            messageSizes = .allocate(capacity: capacity)
            controlSize = cuv_udp_segment_control_size()
            controls = .allocate(byteCount: capacity * controlSize, alignment: 16)
        }

        deinit {
            messages.deallocate()
            payloads.deallocate()
            vectors.deallocate()
            names.deallocate()
            nameLengths.deallocate()
            messageSizes.deallocate()
            controls.deallocate()
        }

        /// Whether the batch holds no datagram.
        var isEmpty: Bool { count == 0 }
        /// Whether the batch holds `capacity` datagrams.
        var isFull: Bool { count == capacity }

        /// Copies `datagram` (at most `Limits.maxDatagramSize` bytes) and its destination into the next slot.
        mutating func append(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) {
            precondition(!isFull, "append to a full send batch of \(capacity)")
            precondition(datagram.count <= Limits.maxDatagramSize, "a \(datagram.count)-byte datagram in a send batch")
            let slot = payloads + count * Limits.maxDatagramSize
            if let base = datagram.baseAddress { slot.copyMemory(from: base, byteCount: datagram.count) }
            vectors[count] = iovec(iov_base: slot, iov_len: datagram.count)
            let length = UDPSocket.length(ofFamily: destination.addressFamily)
            let name = UnsafeMutableRawPointer(names + count)
            destination.withSockaddr { name.copyMemory(from: $0, byteCount: Int(length)) }
            nameLengths[count] = length
            destinations.append(destination)
            count += 1
        }

        /// The datagram in slot `index` and where it goes.
        func datagram(at index: Int) -> (bytes: UnsafeRawBufferPointer, destination: SocketAddress) {
            precondition(index < count, "datagram \(index) of a send batch holding \(count)")
            let bytes = UnsafeRawBufferPointer(start: vectors[index].iov_base, count: vectors[index].iov_len)
            return (bytes, destinations[index])
        }

        /// Fills `messages` with the datagrams from slot `first` on, in order, and returns how many messages it
        /// made.
        ///
        /// With `segmenting`, a message takes a run of datagrams to one address, all of the first one's size but
        /// the last, which may be shorter, up to `maxSegments` datagrams and `maxSegmentedBytes` bytes: what the
        /// kernel accepts under one `UDP_SEGMENT` size. Otherwise every datagram is a message of its own.
        func prepareMessages(from first: Int, segmenting: Bool) -> Int {
            precondition(first < count, "messages from slot \(first) of a send batch holding \(count)")
            var messageCount = 0
            var next = first
            while next < count {
                let start = next
                let segmentSize = vectors[start].iov_len
                var bytes = segmentSize
                next += 1
                if segmenting && segmentSize > 0 {
                    while next < count, next - start < Self.maxSegments, vectors[next - 1].iov_len == segmentSize,
                        (1...segmentSize).contains(vectors[next].iov_len),
                        bytes + vectors[next].iov_len <= Self.maxSegmentedBytes,
                        destinations[next] == destinations[start]
                    {
                        bytes += vectors[next].iov_len
                        next += 1
                    }
                }
                let message = messages + messageCount
                message.pointee = cuv_mmsghdr()
                message.pointee.header.msg_name = UnsafeMutableRawPointer(names + start)
                message.pointee.header.msg_namelen = nameLengths[start]
                message.pointee.header.msg_iov = vectors + start
                message.pointee.header.msg_iovlen = next - start
                if next - start > 1 {
                    cuv_udp_set_segment_size(
                        &message.pointee.header, controls + messageCount * controlSize, UInt16(segmentSize))
                }
                messageSizes[messageCount] = next - start
                messageCount += 1
            }
            return messageCount
        }

        /// How many datagrams message `index` of the last `prepareMessages` carries.
        func datagramCount(ofMessage index: Int) -> Int {
            messageSizes[index]
        }

        /// Drops the first `handled` datagrams (the kernel took them, or they were dropped), moving the rest to the
        /// front so that the whole capacity is free for what comes next.
        ///
        /// - Complexity: O(n) in the datagrams that stay, which are copied.
        mutating func removeFirst(_ handled: Int) {
            precondition((0...count).contains(handled), "removeFirst(\(handled)) of a send batch holding \(count)")
            guard handled > 0 else { return }
            for index in 0..<(count - handled) {
                let slot = payloads + index * Limits.maxDatagramSize
                let length = vectors[index + handled].iov_len
                slot.copyMemory(from: vectors[index + handled].iov_base!, byteCount: length)
                vectors[index] = iovec(iov_base: slot, iov_len: length)
                names[index] = names[index + handled]
                nameLengths[index] = nameLengths[index + handled]
            }
            destinations.removeFirst(handled)
            count -= handled
        }

        /// Empties the batch, keeping its memory.
        mutating func removeAll() {
            count = 0
            destinations.removeAll(keepingCapacity: true)
        }
    }
}

internal import CLibUV
import Glibc
import MeshCore

extension UDPSocket {
    /// Hands the send batch to the kernel now: in `sendmmsg` calls, as GSO messages where
    /// `usesSegmentationOffload`, or into the pending-send queue behind datagrams already waiting there.
    ///
    /// Each datagram ends up counted once: `sent` when the kernel took it, `queued` when it waits for the socket to
    /// be writable, or dropped with its reason. A GSO message the kernel refuses with `EIO` (the device cannot
    /// checksum it), `EINVAL` (UDP checksums are off) or `EMSGSIZE` (a datagram does not fit the path's MTU
    /// unfragmented, as segmentation requires) is sent again as plain datagrams, and the socket stops using GSO:
    /// the same refusal would follow every time.
    ///
    /// - Complexity: O(n) in the datagrams of the batch, with one system call per `sendmmsg` message batch (more
    ///   only when the kernel takes part of one).
    public func flush() {
        precondition(state == .open, "flush on a socket that is \(state)")
        var next = 0
        while next < sendBatch.count {
            // libuv sends its queue in order once the socket is writable; a direct send now would overtake it.
            guard uv_udp_get_send_queue_count(handle) == 0 else {
                queueBatch(from: next)
                break
            }
            let messageCount = sendBatch.prepareMessages(from: next, segmenting: usesSegmentationOffload)
            let result = cuv_sendmmsg(descriptor, sendBatch.messages, UInt32(messageCount))
            counters.sendCalls += 1
            precondition(result != 0, "sendmmsg took none of \(messageCount) messages without an error")
            if result > 0 {
                for message in 0..<Int(result) {
                    let datagrams = sendBatch.datagramCount(ofMessage: message)
                    counters.sent += UInt64(datagrams)
                    if datagrams > 1 { counters.segmentedMessages += 1 }
                    next += datagrams
                }
                continue
            }
            // The kernel took none: the error is the first message's.
            let datagrams = sendBatch.datagramCount(ofMessage: 0)
            switch -result {
            case EAGAIN:
                queueBatch(from: next)
                next = sendBatch.count
            case EINTR:
                break  // interrupted before sending anything: try again
            case EIO where datagrams > 1, EINVAL where datagrams > 1, EMSGSIZE where datagrams > 1:
                usesSegmentationOffload = false
            default:
                counters[dropped: .sendFailed] += UInt64(datagrams)
                next += datagrams
            }
        }
        sendBatch.removeAll()
    }

    /// Puts the batch's datagrams from slot `first` on into the pending-send queue, in order.
    private func queueBatch(from first: Int) {
        for index in first..<sendBatch.count {
            let (bytes, destination) = sendBatch.datagram(at: index)
            _ = enqueue(bytes, to: destination)
        }
    }

    /// Copies the datagram into a free pending-send slot and hands it to `uv_udp_send`, which sends it once the
    /// socket is writable and the datagrams queued before it have gone.
    ///
    /// Internal rather than private so that a test can stand in for the kernel's `EAGAIN`, which loopback never
    /// returns (the loopback device releases the send buffer before `sendmsg` returns).
    ///
    /// - Returns: nil when the datagram is queued (and counted as `queued`), or why it was dropped (and counted).
    func enqueue(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> DropReason? {
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
        return nil
    }

    private func didCompleteQueuedSend(_ request: UnsafeMutablePointer<uv_udp_send_t>, status: Int32) {
        freeSendSlots.append(request - sendRequests)
        if status == 0 {
            counters.sent += 1
        } else {
            counters[dropped: status == cuv_ecanceled() ? .cancelledAtClose : .sendFailed] += 1
        }
    }

    /// Counts a datagram dropped for `reason` and returns the reason.
    func drop(_ reason: DropReason) -> DropReason {
        counters[dropped: reason] += 1
        return reason
    }
}

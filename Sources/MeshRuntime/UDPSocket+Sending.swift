internal import CLibUV
import Glibc
import MeshCore

extension UDPSocket {
    /// Hands the send batch to the kernel now: in `sendmmsg` calls, as GSO messages where
    /// `usesSegmentationOffload`, or into the pending-send queue when sends already wait there or the kernel says
    /// `EAGAIN`.
    ///
    /// Each datagram ends up counted once: `sent` when the kernel took it, `queued` when it waits for the socket to
    /// be writable (and `sent` when it then goes), or dropped with its reason.
    ///
    /// - Complexity: O(n) in the datagrams of the batch, with one system call per `sendmmsg` message batch (more
    ///   only when the kernel takes part of one).
    public func flush() {
        precondition(state == .open, "flush on a socket that is \(state)")
        guard !sendBatch.isEmpty else { return }
        // While sends wait for the socket to be writable, a direct send would overtake them.
        let handled = pendingSends.isEmpty ? transmit(sendBatch) : 0
        for index in handled..<sendBatch.count {
            let (bytes, destination) = sendBatch.datagram(at: index)
            _ = queue(bytes, to: destination)
        }
        sendBatch.removeAll()
        _ = updatePolling()
    }

    /// Sends `batch` from its first datagram until it is done or the kernel says `EAGAIN`, and returns how many
    /// datagrams were handled (sent, or dropped and counted).
    ///
    /// A GSO message the kernel refuses with `EIO` (the device cannot checksum it), `EINVAL` (UDP checksums are
    /// off) or `EMSGSIZE` (a datagram does not fit the path's MTU unfragmented, as segmentation requires) is sent
    /// again as plain datagrams, and the socket stops using GSO: the same refusal would follow every time.
    private func transmit(_ batch: borrowing SendBatch) -> Int {
        var next = 0
        while next < batch.count {
            let messageCount = batch.prepareMessages(from: next, segmenting: usesSegmentationOffload)
            let result = cuv_sendmmsg(descriptor, batch.messages, UInt32(messageCount))
            counters.sendCalls += 1
            precondition(result != 0, "sendmmsg took none of \(messageCount) messages without an error")
            if result > 0 {
                for message in 0..<Int(result) {
                    let datagrams = batch.datagramCount(ofMessage: message)
                    counters.sent += UInt64(datagrams)
                    if datagrams > 1 { counters.segmentedMessages += 1 }
                    next += datagrams
                }
                continue
            }
            // The kernel took none: the error is the first message's.
            let datagrams = batch.datagramCount(ofMessage: 0)
            switch -result {
            case EAGAIN:
                return next
            case EINTR:
                break  // interrupted before sending anything: try again
            case EIO where datagrams > 1, EINVAL where datagrams > 1, EMSGSIZE where datagrams > 1:
                usesSegmentationOffload = false
            default:
                counters[dropped: .sendFailed] += UInt64(datagrams)
                next += datagrams
            }
        }
        return next
    }

    /// Sends what waits in the pending-send queue, now that the socket is writable.
    func sendPending() {
        let handled = transmit(pendingSends)
        pendingSends.removeFirst(handled)
        _ = updatePolling()
    }

    /// Puts the datagram at the end of the pending-send queue, to go when the socket is writable.
    ///
    /// Internal rather than private so that a test can stand in for the kernel's `EAGAIN`, which loopback never
    /// returns (the loopback device releases the send buffer before `sendmsg` returns).
    ///
    /// - Returns: nil when the datagram is queued (and counted as `queued`), or why it was dropped (and counted).
    func enqueue(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> DropReason? {
        let dropped = queue(datagram, to: destination)
        _ = updatePolling()
        return dropped
    }

    /// Appends to the pending-send queue without touching what the poll handle watches.
    private func queue(_ datagram: UnsafeRawBufferPointer, to destination: SocketAddress) -> DropReason? {
        guard pendingSends.count < settings.maxPendingSends else { return drop(.sendQueueFull) }
        pendingSends.append(datagram, to: destination)
        counters.queued += 1
        return nil
    }

    /// Counts a datagram dropped for `reason` and returns the reason.
    func drop(_ reason: DropReason) -> DropReason {
        counters[dropped: reason] += 1
        return reason
    }
}

import Glibc
import MeshCore
import Testing

@testable import MeshRuntime

/// How a send batch turns datagrams into `sendmmsg` messages: which runs may travel as one UDP GSO message.
@Suite("UDP socket send batch")
struct SendBatchTests {
    private let first = SocketAddress.ipv4(0x7F00_0001, port: 9001)
    private let second = SocketAddress.ipv4(0x7F00_0001, port: 9002)

    /// A batch holding one datagram of each size in `sizes`, all to `destination`.
    private func makeBatch(
        _ sizes: [Int], to destination: SocketAddress? = nil, capacity: Int = 128
    ) -> UDPSocket.SendBatch {
        var batch = UDPSocket.SendBatch(capacity: capacity)
        for size in sizes {
            [UInt8](repeating: 1, count: size).withUnsafeBytes { batch.append($0, to: destination ?? first) }
        }
        return batch
    }

    /// Datagrams per message of the messages made from slot `start` on.
    private func messageSizes(
        _ batch: borrowing UDPSocket.SendBatch, from start: Int = 0, segmenting: Bool = true
    )
        -> [Int]
    {
        let count = batch.prepareMessages(from: start, segmenting: segmenting)
        return (0..<count).map { batch.datagramCount(ofMessage: $0) }
    }

    /// The GSO segment size message `index` carries in its control message, or nil when it has none. The data of the
    /// one control message starts after the 16-byte `cmsghdr` of 64-bit Linux.
    private func segmentSize(_ batch: borrowing UDPSocket.SendBatch, message index: Int) -> UInt16? {
        let header = batch.messages[index].header
        guard header.msg_controllen > 0, let control = header.msg_control else { return nil }
        return control.load(fromByteOffset: 16, as: UInt16.self)
    }

    @Test("equal datagrams to one address make one GSO message, which a shorter last datagram ends")
    func shorterDatagramEndsTheRun() {
        let batch = makeBatch([1200, 1200, 1200, 500, 1200])
        #expect(messageSizes(batch) == [4, 1])
        #expect(segmentSize(batch, message: 0) == 1200)
        #expect(segmentSize(batch, message: 1) == nil, "a single datagram needs no segmentation")
        #expect(batch.messages[0].header.msg_iovlen == 4)
    }

    @Test("a larger datagram starts a new message, as does another address")
    func largerDatagramOrOtherAddressStartsAMessage() {
        #expect(messageSizes(makeBatch([500, 1200, 1200])) == [1, 2])
        var mixed = makeBatch([1200, 1200])
        [UInt8](repeating: 2, count: 1200).withUnsafeBytes { mixed.append($0, to: second) }
        #expect(messageSizes(mixed) == [2, 1])
        #expect(mixed.messages[1].header.msg_namelen == socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    @Test("without segmentation every datagram is a message of its own")
    func plainMessagesCarryOneDatagramEach() {
        let batch = makeBatch([1200, 1200, 1200])
        #expect(messageSizes(batch, segmenting: false) == [1, 1, 1])
        #expect(segmentSize(batch, message: 0) == nil)
    }

    @Test("a GSO message carries at most 64 datagrams and 65507 bytes")
    func segmentationLimits() {
        #expect(messageSizes(makeBatch(Array(repeating: 100, count: 100))) == [64, 36])
        // 54 datagrams of 1200 bytes are 64800 bytes; a 55th would pass 65507.
        #expect(messageSizes(makeBatch(Array(repeating: 1200, count: 60))) == [54, 6])
    }

    @Test("empty datagrams are never segmented")
    func emptyDatagramsGoAlone() {
        #expect(messageSizes(makeBatch([0, 0, 10, 0])) == [1, 1, 1, 1])
    }

    @Test("messages can start in the middle of the batch, after the kernel took the first ones")
    func messagesFromTheMiddle() {
        let batch = makeBatch([1200, 1200, 700, 700, 700])
        #expect(messageSizes(batch, from: 2) == [3])
        #expect(segmentSize(batch, message: 0) == 700)
    }

    @Test("a batch keeps each datagram's bytes and destination, and is empty again after removeAll")
    func datagramsAreKeptUntilRemoved() {
        var batch = UDPSocket.SendBatch(capacity: 2)
        [UInt8]([1, 2, 3]).withUnsafeBytes { batch.append($0, to: first) }
        [UInt8]([4]).withUnsafeBytes { batch.append($0, to: second) }
        let isFull = batch.isFull
        #expect(isFull)
        #expect(Array(batch.datagram(at: 0).bytes) == [1, 2, 3])
        #expect(batch.datagram(at: 1).destination == second)
        batch.removeAll()
        let isEmpty = batch.isEmpty
        #expect(isEmpty)
    }
}

import Glibc
import Synchronization
import Testing

@testable import MeshRuntime

/// The live feed's reader thread: lines of a pipe, over-long lines skipped, the end of the input, a full queue.
@Suite("LineReaderThread")
struct LineReaderThreadTests {
    /// Takes items until the input has ended (at most `seconds`).
    static func collect(
        _ reader: LineReaderThread, seconds: Double = 10
    ) -> (items: [LineReaderThread.Item], ended: Bool) {
        var items: [LineReaderThread.Item] = []
        for _ in 0..<Int(seconds * 1000) {
            let taken = reader.take()
            items += taken.items
            if taken.ended { return (items, true) }
            usleep(1000)
        }
        return (items, false)
    }

    static func write(_ text: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < text.count {
            let written = text[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// A thread that writes `text` to `descriptor` and closes it.
    static func startWriter(_ text: [UInt8], to descriptor: Int32) throws -> pthread_t {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(TextBox(text: text, descriptor: descriptor)).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { context in
                let box = Unmanaged<TextBox>.fromOpaque(context!).takeRetainedValue()
                LineReaderThreadTests.write(box.text, to: box.descriptor)
                close(box.descriptor)
                return nil
            }, box)
        try #require(result == 0)
        return thread
    }

    @Test func linesOfAPipeArriveInOrderAndAnOverlongLineIsSkipped() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let wakes = Atomic<Int>(0)
        let reader = LineReaderThread(descriptor: ends[0], maxLineBytes: 100) { wakes.add(1, ordering: .relaxed) }
        try reader.start()
        var text = Array("first\n\nsecond\n".utf8)
        text += [UInt8](repeating: UInt8(ascii: "x"), count: 70_000) + [UInt8(ascii: "\n")]
        text += Array("third\nlast without a newline".utf8)
        // A writer on another thread, so that a full pipe cannot block the test.
        let thread = try Self.startWriter(text, to: ends[1])
        let (items, ended) = Self.collect(reader)
        pthread_join(thread, nil)
        close(ends[0])
        #expect(ended)
        #expect(
            items == [
                .line(Array("first".utf8)), .line([]), .line(Array("second".utf8)), .tooLong(bytes: 70_000),
                .line(Array("third".utf8)), .line(Array("last without a newline".utf8)),
            ])
        #expect(wakes.load(ordering: .relaxed) > 0)
        #expect(reader.take().failure == nil)
    }

    @Test func theEndComesWithTheLastLinesInOneTake() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let reader = LineReaderThread(descriptor: ends[0], maxLineBytes: 64) {}
        try reader.start()
        let thread = try Self.startWriter(Array("a\nb\nc".utf8), to: ends[1])
        pthread_join(thread, nil)
        // Once the reader has seen the end, one take gives every line and the end together (a take that gave the
        // lines without the end would leave the loop waiting for a wake-up that never comes).
        for _ in 0..<5000 where !reader.hasEnded { usleep(1000) }
        #expect(reader.hasEnded)
        let taken = reader.take()
        let items = taken.items
        #expect(taken.ended)
        close(ends[0])
        #expect(items == [.line(Array("a".utf8)), .line(Array("b".utf8)), .line(Array("c".utf8))])
    }

    @Test func aFullQueueHoldsTheReaderBackWithoutLosingLines() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let reader = LineReaderThread(descriptor: ends[0], maxLineBytes: 64) {}
        try reader.start()
        let count = LineReaderThread.capacity * 3
        let text = (0..<count).map { "\($0)\n" }.joined()
        let thread = try Self.startWriter(Array(text.utf8), to: ends[1])
        // Nobody takes for a while: the queue fills and stays at its bound.
        usleep(200_000)
        let first = reader.take()
        #expect(first.items.count <= LineReaderThread.capacity)
        let (rest, ended) = Self.collect(reader)
        pthread_join(thread, nil)
        close(ends[0])
        #expect(ended)
        let numbers = (first.items + rest).compactMap { item -> Int? in
            if case .line(let bytes) = item { Int(String(decoding: bytes, as: UTF8.self)) } else { nil }
        }
        #expect(numbers == Array(0..<count))
    }
}

private final class TextBox: @unchecked Sendable {
    let text: [UInt8]
    let descriptor: Int32
    init(text: [UInt8], descriptor: Int32) {
        self.text = text
        self.descriptor = descriptor
    }
}

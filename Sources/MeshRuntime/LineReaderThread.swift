import Glibc
import Synchronization

/// Lines of a file descriptor (stdin, a file, a named pipe) read on a thread of their own and handed to the loop
/// thread through a bounded queue: a live feed whose reads block must not stall the loop. When the queue is full
/// the thread waits (the writer then waits on the pipe), so nothing is dropped and memory stays bounded.
///
/// Hand-written over `read(2)` and a thread because libuv cannot watch a regular file for readiness and its stream
/// API would need a different handle for files, pipes and terminals; a blocking read on a thread covers all three.
public final class LineReaderThread: Sendable {
    /// The most lines waiting for the loop.
    public static let capacity = 4096

    /// What the thread produced.
    public enum Item: Sendable, Equatable {
        /// A line without its newline.
        case line([UInt8])
        /// A line longer than the limit, skipped up to its newline: how many bytes it had.
        case tooLong(bytes: Int)
    }

    private struct State {
        var items: [Item] = []
        var ended = false
        var failure: String?
        var stopping = false
    }

    private let state = Mutex(State())
    private let descriptor: Int32
    private let maxLineBytes: Int
    private let wake: @Sendable () -> Void

    /// A reader of `descriptor` (left open: the caller owns it) giving lines of at most `maxLineBytes`; `wake` is
    /// called from the thread after it queued lines or ended (the loop's `remote.wakeUp`).
    public init(descriptor: Int32, maxLineBytes: Int, wake: @escaping @Sendable () -> Void) {
        self.descriptor = descriptor
        self.maxLineBytes = maxLineBytes
        self.wake = wake
    }

    /// Starts the thread.
    /// - Throws: `RuntimeError.libuv` naming `pthread_create` when no thread can be made.
    public func start() throws(RuntimeError) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(
            &thread, nil,
            { context in
                let reader = Unmanaged<LineReaderThread>.fromOpaque(context!).takeRetainedValue()
                reader.readAll()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<LineReaderThread>.fromOpaque(context).release()
            throw .libuv(call: "pthread_create", code: -result)
        }
        pthread_detach(thread)
    }

    /// Takes the queued lines, and whether the input has ended after them (with the read error, if one ended it):
    /// the lines and the end are taken together, so an end reported here has no line left behind; loop thread.
    public func take() -> (items: [Item], ended: Bool, failure: String?) {
        state.withLock { state in
            defer { state.items.removeAll(keepingCapacity: true) }
            return (state.items, state.ended, state.failure)
        }
    }

    /// Whether the thread has seen the end of its input (lines may still wait to be taken).
    var hasEnded: Bool { state.withLock { $0.ended } }

    /// Asks the thread to stop once its current read returns; what it reads after is dropped.
    public func stop() {
        state.withLock { $0.stopping = true }
    }

    private func readAll() {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var line: [UInt8] = []
        var discarded = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                let failure = count < 0 ? String(cString: strerror(errno)) : nil
                if discarded > 0 {
                    _ = push(.tooLong(bytes: discarded))
                } else if !line.isEmpty {
                    _ = push(.line(line))
                }
                state.withLock {
                    $0.ended = true
                    $0.failure = failure
                }
                wake()
                return
            }
            var start = 0
            for index in 0..<count where chunk[index] == UInt8(ascii: "\n") {
                if !append(chunk[start..<index], to: &line, discarded: &discarded) { return }
                let item: Item = discarded > 0 ? .tooLong(bytes: discarded) : .line(line)
                line.removeAll(keepingCapacity: true)
                discarded = 0
                if !push(item) { return }
                start = index + 1
            }
            if !append(chunk[start..<count], to: &line, discarded: &discarded) { return }
            wake()
        }
    }

    /// Adds a piece of a line, or counts it once the line is over the limit; false when asked to stop.
    private func append(_ piece: ArraySlice<UInt8>, to line: inout [UInt8], discarded: inout Int) -> Bool {
        if discarded > 0 || line.count + piece.count > maxLineBytes {
            discarded += line.count + piece.count
            line.removeAll()
        } else {
            line += piece
        }
        return !state.withLock { $0.stopping }
    }

    /// Queues `item`, waiting while the queue is full; false when asked to stop.
    private func push(_ item: Item) -> Bool {
        while true {
            let outcome: Bool? = state.withLock { state in
                if state.stopping { return false }
                guard state.items.count < Self.capacity else { return nil }
                state.items.append(item)
                return true
            }
            if let outcome { return outcome }
            wake()
            usleep(1000)
        }
    }
}

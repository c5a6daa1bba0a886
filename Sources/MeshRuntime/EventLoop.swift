internal import CLibUV
import Glibc
public import MeshCore

/// One libuv event loop: the thread that calls `run()` owns it and everything registered on it.
///
/// The loop, and every handle on it, lives at an address allocated by hand, because libuv keeps pointers to them
/// across calls (see DESIGN.md, "libuv from Swift"). Sockets, timers and signal watchers are created on a loop and
/// must each be closed before the loop itself is closed. Nothing here is thread-safe except `remote`, the one
/// cross-thread entry.
///
/// The loop keeps itself alive (its wake-up handle holds a retain) until `close()` finishes, so dropping the last
/// reference to an open loop leaks it instead of freeing memory that libuv still uses.
public final class EventLoop {
    /// The libuv loop; internal so that handles can be initialized on it.
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    /// The `uv_async_t` behind `remote`: always referenced (it keeps `run()` going until `stop()`).
    private let wakeHandle: UnsafeMutablePointer<uv_async_t>
    private var state = HandleState.open
    private var isRunning = false

    /// The thread-safe way for another thread to wake the loop or ask it to stop.
    public let remote: Remote

    /// Runs on the loop thread after another thread called `remote.wakeUp()`.
    ///
    /// Wake-ups coalesce (libuv's `uv_async_send`): several calls before the loop notices run this once, so the
    /// handler drains whatever thread-safe queue it serves rather than assuming one item per call.
    public var onWakeUp: (() -> Void)?

    /// Sets up a loop and its wake-up handle.
    ///
    /// - Throws: `RuntimeError.libuv` if libuv cannot create the loop (out of file descriptors, for example).
    public init() throws(RuntimeError) {
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let loopResult = uv_loop_init(loop)
        guard loopResult == 0 else {
            loop.deallocate()
            throw .libuv(call: "uv_loop_init", code: loopResult)
        }
        let wake = UnsafeMutablePointer<uv_async_t>.allocate(capacity: 1)
        let wakeResult = uv_async_init(loop, wake) { handle in
            EventLoop.owner(of: cuv_async_as_handle(handle!)).didWake()
        }
        guard wakeResult == 0 else {
            wake.deallocate()
            uv_loop_close(loop)
            loop.deallocate()
            throw .libuv(call: "uv_async_init", code: wakeResult)
        }
        uvLoop = loop
        wakeHandle = wake
        remote = Remote(wakeHandle: wake)
        uv_handle_set_data(cuv_async_as_handle(wake), Unmanaged.passRetained(self).toOpaque())
    }

    /// The current time from the system clock (`CLOCK_REALTIME`, nanoseconds since the Unix epoch).
    ///
    /// The runtime's only clock read: cores get time as an argument, and this is where the shell takes it from.
    public var now: Instant {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Instant(nanosecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    /// Runs callbacks on the calling thread until `stop()` is called (from a callback, or through `remote`).
    ///
    /// A `stop()` that comes before `run()` makes this return at once.
    public func run() {
        precondition(state == .open, "run() on an event loop that is \(state)")
        precondition(!isRunning, "run() called from inside run()")
        isRunning = true
        uv_run(uvLoop, UV_RUN_DEFAULT)
        isRunning = false
    }

    /// Makes `run()` return after the current loop iteration. Loop thread only.
    public func stop() {
        precondition(state == .open, "stop() on an event loop that is \(state)")
        uv_stop(uvLoop)
    }

    /// Closes the loop: runs it until every close callback has run, then releases it with `uv_loop_close`.
    ///
    /// Every socket, timer and signal watcher on the loop must have been closed first; the loop then finishes
    /// their closing, so their memory is freed before this returns. Calling it again after success does nothing.
    ///
    /// - Throws: `RuntimeError.handlesStillOpen` (and closes nothing) if a handle is still open;
    ///   `RuntimeError.libuv` if `uv_loop_close` refuses, which would mean a handle escaped this accounting.
    public func close() throws(RuntimeError) {
        precondition(!isRunning, "close() called from inside run()")
        guard state == .open else { return }
        let open = openHandleCount()
        guard open == 0 else { throw .handlesStillOpen(count: open) }
        state = .closing
        remote.detach()
        uv_close(cuv_async_as_handle(wakeHandle)) { handle in
            let loop = Unmanaged<EventLoop>.fromOpaque(uv_handle_get_data(handle!)).takeRetainedValue()
            loop.wakeHandle.deallocate()
        }
        // Only closing handles are left, so this ends; the first run returns at once if a stop() is pending.
        while uv_loop_alive(uvLoop) != 0 { uv_run(uvLoop, UV_RUN_DEFAULT) }
        let closeResult = uv_loop_close(uvLoop)
        state = .closed
        // If libuv refuses, it still references the loop memory: leaking it is the only safe choice.
        guard closeResult == 0 else { throw .libuv(call: "uv_loop_close", code: closeResult) }
        uvLoop.deallocate()
    }

    /// Handles on the loop that nobody has started closing, not counting the loop's own wake-up handle.
    private func openHandleCount() -> Int {
        var tally = (wakeHandle: UnsafeMutableRawPointer(wakeHandle), open: 0)
        withUnsafeMutablePointer(to: &tally) { tallyPointer in
            uv_walk(
                uvLoop,
                { handle, argument in
                    let tally = argument!.assumingMemoryBound(to: (wakeHandle: UnsafeMutableRawPointer, open: Int).self)
                    if UnsafeMutableRawPointer(handle!) != tally.pointee.wakeHandle && uv_is_closing(handle) == 0 {
                        tally.pointee.open += 1
                    }
                }, tallyPointer)
        }
        return tally.open
    }

    private func didWake() {
        let requests = remote.takeRequests()
        if requests.wakeUp { onWakeUp?() }
        if requests.stop { uv_stop(uvLoop) }
    }

    private static func owner(of handle: UnsafeMutablePointer<uv_handle_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(uv_handle_get_data(handle)).takeUnretainedValue()
    }
}

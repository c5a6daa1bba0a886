internal import CLibUV
public import MeshCore

/// One `uv_timer_t` armed for an absolute deadline: the shell's "wake me at T".
///
/// Cores speak in `Instant`s of the system clock; libuv's timers count milliseconds on its own monotonic clock. The
/// timer converts at arming time, rounding up to a whole millisecond, and when it fires early by the system clock
/// (the clock was stepped back, or slewed over a long wait) it re-arms for the rest, so `onFire` never runs before
/// the deadline. Timers with deadlines at least a millisecond apart fire in deadline order.
public final class LoopTimer {
    private let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var onFire: (() -> Void)?
    private var state = HandleState.open

    /// The deadline the timer is armed for; nil when disarmed or after it fired.
    public private(set) var deadline: Instant?
    /// The deadline the libuv timer was last started for, while it runs; it never fires later than `deadline`.
    private var scheduledFor: Instant?

    /// A disarmed timer on `loop` that calls `onFire` on the loop thread when an armed deadline passes.
    ///
    /// - Throws: `RuntimeError.libuv` if libuv cannot initialize the timer.
    public init(loop: EventLoop, onFire: @escaping () -> Void) throws(RuntimeError) {
        let handle = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        let result = uv_timer_init(loop.uvLoop, handle)
        guard result == 0 else {
            handle.deallocate()
            throw .libuv(call: "uv_timer_init", code: result)
        }
        self.loop = loop
        self.handle = handle
        self.onFire = onFire
        uv_handle_set_data(cuv_timer_as_handle(handle), Unmanaged.passRetained(self).toOpaque())
    }

    /// Arms the timer for `deadline`, replacing any earlier deadline.
    ///
    /// A deadline in the past fires on the next loop iteration, never inside this call.
    public func arm(at deadline: Instant) {
        precondition(state == .open, "arm(at:) on a timer that is \(state)")
        self.deadline = deadline
        // A later deadline keeps the libuv timer already started for an earlier one: it fires early, finds the
        // deadline not reached and starts itself again. The endpoint moves its deadline later on almost every
        // packet; restarting the timer each time would cost two clock reads and a timer-heap update per packet.
        if let scheduledFor, scheduledFor <= deadline { return }
        schedule(deadline)
    }

    /// Disarms the timer; `onFire` does not run until it is armed again.
    public func disarm() {
        precondition(state == .open, "disarm() on a timer that is \(state)")
        deadline = nil
        scheduledFor = nil
        uv_timer_stop(handle)
    }

    /// Closes the timer; its memory is freed when the loop runs the close callback. Calling it again does nothing.
    public func close() {
        guard state == .open else { return }
        state = .closing
        deadline = nil
        scheduledFor = nil
        uv_close(cuv_timer_as_handle(handle)) { handle in
            Unmanaged<LoopTimer>.fromOpaque(uv_handle_get_data(handle!)).takeRetainedValue().didClose()
        }
    }

    private func schedule(_ deadline: Instant) {
        scheduledFor = deadline
        // libuv measures the timeout from its cached loop time; refresh it so the wait starts now, not at the start
        // of the current iteration.
        uv_update_time(loop.uvLoop)
        let remaining = (deadline - loop.now).nanoseconds
        let milliseconds = remaining <= 0 ? 0 : UInt64((remaining + 999_999) / 1_000_000)
        uv_timer_start(
            handle,
            { handle in
                Unmanaged<LoopTimer>.fromOpaque(uv_handle_get_data(cuv_timer_as_handle(handle!)))
                    .takeUnretainedValue().didExpire()
            }, milliseconds, 0)
    }

    private func didExpire() {
        scheduledFor = nil
        guard let deadline else { return }
        guard loop.now >= deadline else {
            schedule(deadline)
            return
        }
        self.deadline = nil
        onFire?()
    }

    private func didClose() {
        state = .closed
        onFire = nil
        handle.deallocate()
    }
}

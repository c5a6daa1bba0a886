internal import CLibUV
import Synchronization

extension EventLoop {
    /// The one thread-safe entry into an event loop: another thread uses it to wake the loop or ask it to stop.
    ///
    /// Backed by the loop's `uv_async_t`. A mutex guards only the request flags and the handle pointer (so that no
    /// thread signals a handle the loop has closed), never protocol state: the work itself runs on the loop thread.
    /// After the loop is closed every call does nothing and returns false.
    public final class Remote: Sendable {
        struct Requests {
            var wakeUp = false
            var stop = false
        }

        /// The loop's `uv_async_t`, shared with other threads only for `uv_async_send`, the one libuv call that is
        /// thread-safe; the mutex makes sure nobody calls it once the loop has started closing the handle.
        private struct WakeHandle: @unchecked Sendable {
            let pointer: UnsafeMutablePointer<uv_async_t>
        }

        private struct State {
            var wakeHandle: WakeHandle?
            var requests = Requests()
        }

        private let state: Mutex<State>

        init(wakeHandle: UnsafeMutablePointer<uv_async_t>) {
            state = Mutex(State(wakeHandle: WakeHandle(pointer: wakeHandle)))
        }

        /// Asks the loop to run its `onWakeUp` handler. Callable from any thread.
        ///
        /// - Returns: false if the loop is already closed.
        @discardableResult
        public func wakeUp() -> Bool {
            signal { $0.wakeUp = true }
        }

        /// Asks the loop to stop: `run()` returns on the loop thread after the current iteration. Callable from any
        /// thread.
        ///
        /// - Returns: false if the loop is already closed.
        @discardableResult
        public func requestStop() -> Bool {
            signal { $0.stop = true }
        }

        private func signal(_ record: (inout Requests) -> Void) -> Bool {
            state.withLock { state in
                guard let wakeHandle = state.wakeHandle else { return false }
                record(&state.requests)
                uv_async_send(wakeHandle.pointer)
                return true
            }
        }

        /// Takes and clears the pending requests; loop thread.
        func takeRequests() -> Requests {
            state.withLock { state in
                defer { state.requests = Requests() }
                return state.requests
            }
        }

        /// Forgets the handle before the loop closes it; from then on every request is refused.
        func detach() {
            state.withLock { $0.wakeHandle = nil }
        }
    }
}

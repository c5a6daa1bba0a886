internal import CLibUV
import Glibc

/// Watches the shutdown signals (SIGINT, SIGTERM) through `uv_signal_t` and reports them on the loop thread.
///
/// The node drains gracefully on the first signal and exits at once on the second, so the handler gets a running
/// count of the signals received. While a watcher is open, libuv's handler replaces the default action (terminating
/// the process); closing the last watcher of a signal restores the default.
///
/// A signal sent to the process (`kill`, a service manager, Ctrl-C) reaches the loop whichever thread the kernel
/// picks to run the handler. A thread-directed one (`raise`) is lost on threads that block it, and libdispatch's
/// worker threads, where Swift concurrency runs, block both SIGINT and SIGTERM.
public final class SignalWatcher {
    /// A signal the watcher can report.
    public enum Signal: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// SIGINT: Ctrl-C at a terminal.
        case interrupt
        /// SIGTERM: a service manager or `kill` asking the process to end.
        case terminate

        var number: Int32 {
            switch self {
            case .interrupt: SIGINT
            case .terminate: SIGTERM
            }
        }

        /// The signal's usual name: `SIGINT` or `SIGTERM`.
        public var description: String {
            switch self {
            case .interrupt: "SIGINT"
            case .terminate: "SIGTERM"
            }
        }
    }

    /// Called on the loop thread with the signal and how many watched signals have arrived so far, this one included.
    public typealias Handler = (_ signal: Signal, _ count: Int) -> Void

    /// One `uv_signal_t` per watched signal, each holding one retain on the watcher until its close callback.
    private var handles: [(signal: Signal, handle: UnsafeMutablePointer<uv_signal_t>)] = []
    private var onSignal: Handler?
    private var state = HandleState.open

    /// How many watched signals have arrived.
    public private(set) var received = 0

    /// Starts watching `signals` (by default SIGINT and SIGTERM) on `loop`.
    ///
    /// - Throws: `RuntimeError.libuv` if libuv cannot install a handler.
    public init(loop: EventLoop, signals: [Signal] = Signal.allCases, onSignal: @escaping Handler) throws(RuntimeError)
    {
        precondition(Set(signals).count == signals.count, "signal watched twice: \(signals)")
        self.onSignal = onSignal
        // A process inherits its parent's signal mask across fork and exec, and some parents block these signals
        // (Swift concurrency's worker threads do): a node started from such a parent would never see the SIGTERM
        // meant to stop it. The watcher is created on the thread that runs the loop; unblock them there.
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal.number) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        for signal in signals {
            let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
            let initResult = uv_signal_init(loop.uvLoop, handle)
            guard initResult == 0 else {
                handle.deallocate()
                close()
                throw .libuv(call: "uv_signal_init", code: initResult)
            }
            uv_handle_set_data(cuv_signal_as_handle(handle), Unmanaged.passRetained(self).toOpaque())
            handles.append((signal, handle))
            let startResult = uv_signal_start(
                handle,
                { handle, number in
                    Unmanaged<SignalWatcher>.fromOpaque(uv_handle_get_data(cuv_signal_as_handle(handle!)))
                        .takeUnretainedValue().didReceive(number)
                }, signal.number)
            guard startResult == 0 else {
                close()
                throw .libuv(call: "uv_signal_start(\(signal))", code: startResult)
            }
        }
    }

    /// Stops watching and closes the handles; their memory is freed when the loop runs the close callbacks.
    /// Calling it again does nothing.
    public func close() {
        guard state == .open else { return }
        state = handles.isEmpty ? .closed : .closing
        for (_, handle) in handles {
            uv_close(cuv_signal_as_handle(handle)) { handle in
                Unmanaged<SignalWatcher>.fromOpaque(uv_handle_get_data(handle!)).takeRetainedValue()
                    .didClose(handle!)
            }
        }
    }

    private func didReceive(_ number: Int32) {
        guard state == .open, let signal = handles.first(where: { $0.signal.number == number })?.signal else { return }
        received += 1
        onSignal?(signal, received)
    }

    private func didClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {
        let index = handles.firstIndex { UnsafeMutableRawPointer($0.handle) == UnsafeMutableRawPointer(handle) }!
        handles.remove(at: index).handle.deallocate()
        if handles.isEmpty {
            state = .closed
            onSignal = nil
        }
    }
}

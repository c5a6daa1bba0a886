import Foundation

/// The signals that ask a long-running command (`listen`, `ping`) to stop.
enum ShutdownSignals {
    /// Unblocks SIGINT and SIGTERM on the calling thread, which then runs the event loop.
    ///
    /// A child inherits its parent's signal mask across fork and exec, and some parents block these signals: Swift
    /// concurrency's worker threads do, so a process started from a Swift test or service would otherwise never see
    /// the SIGTERM meant to stop it (the signal would stay pending, and the watcher on the loop would never run).
    static func unblock() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}

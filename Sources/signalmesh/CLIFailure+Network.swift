import ArgumentParser
import MeshRuntime

extension CLIFailure {
    /// 1: the command ran but what it tried did not happen (a ping that got no answer).
    static func noAnswer(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(1)) }
    /// 69: a network service cannot be offered (a listen address that cannot be bound).
    static func unavailable(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(69)) }
    /// 70: an internal error (a runtime that does not shut down cleanly).
    static func software(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(70)) }
    /// 71: the operating system refused a resource (an event loop, a socket).
    static func osError(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(71)) }

    /// The failure for a runtime error while setting up: a bind failure is 69, anything else 71.
    init(setUp error: RuntimeError) {
        switch error {
        case .bindFailed: self = .unavailable(error.description)
        case .libuv, .handlesStillOpen: self = .osError(error.description)
        }
    }

    /// The failure for a node host that could not be made: the runtime's as above; a control socket path that cannot
    /// be used is a configuration error (78), a system call that failed on it 71.
    init(setUp error: NodeHostError) {
        switch error {
        case .runtime(let runtime): self.init(setUp: runtime)
        case .control(.pathTooLong), .control(.notASocket): self = .config(error.description)
        case .control: self = .osError(error.description)
        }
    }
}

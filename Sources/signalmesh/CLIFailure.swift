import ArgumentParser

/// A failure the user can act on, with the exit code scripts can test for (sysexits.h numbering).
struct CLIFailure: Error {
    var message: String
    var exitCode: ExitCode

    /// 64: the command line was wrong (for example a key exists and `--force` was not given).
    static func usage(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(64)) }
    /// 65: data that should be ours is damaged (a key file that does not parse).
    static func corruptData(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(65)) }
    /// 66: an input file is missing.
    static func noInput(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(66)) }
    /// 74: reading or writing failed.
    static func ioError(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(74)) }
    /// 77: a key file that group or others can read, or that belongs to someone else.
    static func permission(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(77)) }
}

extension CLIFailure {
    /// 73: the data directory is in use by another node (its LOCK is held).
    static func locked(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(73)) }
    /// 78: the configuration is wrong (a value that cannot be used, a control socket path too long).
    static func config(_ message: String) -> CLIFailure { CLIFailure(message: message, exitCode: ExitCode(78)) }
}

import Dispatch
import Foundation
import Synchronization

/// A `signalmesh` process that keeps running (`listen`, `ping`) while the test talks to it: standard output is read
/// line by line as it arrives, and the process is killed (SIGKILL) once `limit` passes, whatever the test is doing.
final class CLIChild: Sendable {
    private struct Stream {
        var bytes: [UInt8] = []
        var closed = false
    }

    private let process: Process
    private let output = Mutex(Stream())
    private let errorOutput = Mutex(Stream())
    private let outputArrived = DispatchSemaphore(value: 0)

    /// Starts `signalmesh` with `arguments`.
    init(_ arguments: [String], limit: TimeInterval = 20) throws {
        process = Process()
        process.executableURL = CLIProcess.executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            output.withLock { stream in
                if data.isEmpty { stream.closed = true } else { stream.bytes += data }
            }
            if data.isEmpty { handle.readabilityHandler = nil }
            outputArrived.signal()
        }
        err.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            errorOutput.withLock { stream in
                if data.isEmpty { stream.closed = true } else { stream.bytes += data }
            }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        try process.run()
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [self] in kill() }
    }

    /// The next line of standard output without its newline; nil if none comes within `seconds` or the output ended.
    func nextLine(within seconds: Double) -> String? {
        let deadline = DispatchTime.now() + seconds
        while true {
            let (line, closed) = output.withLock { stream -> (String?, Bool) in
                guard let newline = stream.bytes.firstIndex(of: UInt8(ascii: "\n")) else { return (nil, stream.closed) }
                let line = String(decoding: stream.bytes[..<newline], as: UTF8.self)
                stream.bytes.removeSubrange(...newline)
                return (line, false)
            }
            if let line { return line }
            if closed || outputArrived.wait(timeout: deadline) == .timedOut { return nil }
        }
    }

    /// Every line of standard output not yet read, once the output has ended (at most `seconds` from now).
    func remainingLines(within seconds: Double) -> [String] {
        var lines: [String] = []
        while let line = nextLine(within: seconds) { lines.append(line) }
        return lines
    }

    /// Standard error so far.
    var standardError: String {
        errorOutput.withLock { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Sends `signal` to the process if it still runs.
    func send(_ signal: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }

    /// The exit status once the process has ended; nil if it still runs after `seconds`. Once it has ended, standard
    /// error is read to its end (up to one more second) before this returns, so `standardError` holds the last words
    /// of a process that exits right after writing them (the pipe's reader runs on its own queue).
    func exitStatus(within seconds: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning {
            guard Date() < deadline else { return nil }
            Thread.sleep(forTimeInterval: 0.01)
        }
        let drained = Date(timeIntervalSinceNow: 1)
        while !errorOutput.withLock({ $0.closed }), Date() < drained { Thread.sleep(forTimeInterval: 0.005) }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// Ends the process at once (SIGKILL) if it still runs.
    func kill() {
        send(SIGKILL)
    }
}

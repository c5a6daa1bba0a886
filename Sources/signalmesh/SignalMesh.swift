import ArgumentParser
import Foundation

/// The `signalmesh` command tree. Each subcommand lives in its own file.
@main
struct SignalMesh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signalmesh",
        abstract: "A peer-to-peer node for traders: signals, orders and an auditable ledger over an encrypted mesh.",
        version: BuildInfo.version,
        subcommands: [
            KeygenCommand.self, IDCommand.self, ListenCommand.self, PingCommand.self, ThroughputCommand.self,
            BootstrapCommand.self, RunCommand.self, SeedCommand.self, DevnetCommand.self, SimCommand.self,
            IndicatorsCommand.self, BacktestCommand.self,
            ConfigCommand.self,
            StatusCommand.self, PeersCommand.self, EventsCommand.self, SignalsCommand.self, FeedCommand.self, MetricsCommand.self,
            TopCommand.self,
            LogLevelCommand.self, StopCommand.self, RPCCommand.self, VersionCommand.self,
        ]
    )

    /// Runs the command, mapping SignalMesh's own failures to their documented exit codes (README, "Exit codes");
    /// argument errors keep swift-argument-parser's handling, which exits with 64 (EX_USAGE).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("signalmesh: error: \(failure.message)\n".utf8))
            Foundation.exit(failure.exitCode.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}

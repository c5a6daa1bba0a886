import ArgumentParser
import MeshControl

/// `signalmesh status`: what the running node is, and whether it is healthy (`node.info` and `node.health`).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running node's identity, addresses, neighbours and health.",
        discussion: "Exits with 0 when the node is healthy, 1 when it is degraded or isolated (for scripts and probes)."
    )

    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        let info = try connection.call("node.info")
        let health = try connection.call("node.health")
        let healthy = health["status"] == .string("ok")
        if client.json {
            Output.line(JSONValue.object(["info": info, "health": health]).line)
        } else {
            let peers = info["peers"] ?? .null
            Output.line("node      \(info["node_id"]?.cell ?? "-")")
            Output.line("network   \(info["network"]?.cell ?? "-")   version \(info["version"]?.cell ?? "-")")
            Output.line("addresses \((info["addresses"]?.elements ?? []).map(\.cell).joined(separator: " "))")
            Output.line(
                "uptime    \(info["uptime_seconds"]?.cell ?? "-") s   pid \(info["pid"]?.cell ?? "-")   "
                    + "boot \(info["boot_id"]?.cell ?? "-")")
            Output.line(
                "peers     \(peers["active"]?.cell ?? "-") active, \(peers["passive"]?.cell ?? "-") passive, "
                    + "\(peers["seeds"]?.cell ?? "-") seeds, \(peers["banned"]?.cell ?? "-") banned")
            Output.line("health    \(health["status"]?.cell ?? "-")")
            for problem in health["problems"]?.elements ?? [] { Output.line("          - \(problem.cell)") }
        }
        if !healthy { throw ExitCode(1) }
    }
}

/// `signalmesh metrics`: the node's metrics in the Prometheus text format (`metrics.get`).
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the running node's metrics in the Prometheus text format.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let result = try client.connect().call("metrics.get")
        if client.json {
            Output.line(result.line)
        } else {
            print(result["text"]?.cell ?? "", terminator: "")
        }
    }
}

/// `signalmesh stop`: asks the running node to shut down gracefully (`node.stop`), as SIGTERM does.
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Ask the running node to shut down gracefully.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let result = try client.connect().call("node.stop")
        client.report(result, "the node is stopping")
    }
}

/// `signalmesh rpc METHOD [PARAMS]`: one raw control call, for scripts and for exploring the API.
struct RPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Call one control-socket method and print its result as JSON (Specs/control-api.md).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The method, e.g. node.info.")
    var method: String

    @Argument(help: "The params as a JSON object, e.g. '{\"view\":\"all\"}'.")
    var params: String?

    func run() throws {
        var parsed: JSONValue?
        if let params {
            do {
                parsed = try JSONValue(parsing: Array(params.utf8))
            } catch {
                throw CLIFailure.usage("the params are not JSON: \(params)")
            }
            guard case .object = parsed else { throw CLIFailure.usage("the params must be a JSON object") }
        }
        Output.line(try client.connect().call(method, parsed).line)
    }
}

/// `signalmesh log-level`: the running node's log levels, and changing them (`node.log_level`).
struct LogLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-level",
        abstract: "Show the running node's log levels (DATADIR/logs/node.log), or set one while it runs.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The new level: trace, debug, info, notice, warning, error or critical (omit to show).")
    var level: String?

    @Option(name: .long, help: "Only this category: node, transport, membership, control or store (default: all).")
    var category: String?

    func run() throws {
        var params: [String: JSONValue] = [:]
        if let level { params["level"] = .string(level) }
        if let category { params["category"] = .string(category) }
        let result = try client.connect().call("node.log_level", .object(params))
        if client.json {
            Output.line(result.line)
            return
        }
        if case .object(let levels)? = result["levels"] {
            for key in levels.keys.sorted() {
                Output.line("\(key.padding(toLength: 10, withPad: " ", startingAt: 0)) \(levels[key]!.cell)")
            }
        }
        Output.line("log: \(result["path"]?.cell ?? "-")")
    }
}

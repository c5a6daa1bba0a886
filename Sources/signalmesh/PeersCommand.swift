import ArgumentParser
import MeshControl

/// `signalmesh peers`: the running node's peers, and the operator's levers on them.
struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "List the running node's peers; connect, disconnect, ban and unban them.",
        subcommands: [
            PeersListCommand.self, PeersConnectCommand.self, PeersDisconnectCommand.self, PeersBanCommand.self,
            PeersUnbanCommand.self, PeersBansCommand.self,
        ],
        defaultSubcommand: PeersListCommand.self)
}

/// `signalmesh peers list`.
struct PeersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List peers: id, state, direction, addresses, RTT, traffic.")

    @OptionGroup var client: ClientOptions

    @Option(name: .long, help: "Which view: active (default), passive or all.")
    var view = "active"

    func validate() throws {
        guard ["active", "passive", "all"].contains(view) else {
            throw ValidationError("--view must be active, passive or all")
        }
    }

    func run() throws {
        let result = try client.connect().call("peers.list", ["view": .string(view)])
        let peers = result["peers"]?.elements ?? []
        if client.json {
            Output.line(result.line)
            return
        }
        guard !peers.isEmpty else {
            Output.line("no peers in the \(view) view")
            return
        }
        Output.line(Self.table(peers))
    }

    /// The peers as an aligned table.
    static func table(_ peers: [JSONValue]) -> String {
        var rows = [["PEER", "VIEW", "DIR", "SEED", "ADDRESS", "RTT ms", "IN", "OUT", "SINCE", "SCORE"]]
        for peer in peers {
            let id = peer["id"]?.cell ?? "-"
            rows.append([
                String(id.prefix(16)) + "…", peer["view"]?.cell ?? "-",
                peer["direction"]?.cell ?? "-", peer["is_seed"] == .bool(true) ? "seed" : "",
                peer["addresses"]?.elements.first?.cell ?? "-", peer["rtt_ms"]?.cell ?? "-",
                bytes(peer["bytes_in"]), bytes(peer["bytes_out"]),
                String((peer["connected_since"]?.cell ?? "-").dropFirst(11).prefix(8)),
                score(peer["gossip_score"]),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n")
    }

    /// A gossip score with one decimal, or `-` for a peer gossip does not use.
    static func score(_ value: JSONValue?) -> String {
        switch value {
        case .double(let score)?: String(format: "%.1f", score)
        case .int(let score)?: "\(score)"
        default: "-"
        }
    }

    /// A byte count with a unit: `812 B`, `4.1 KiB`, `3.2 MiB`.
    static func bytes(_ value: JSONValue?) -> String {
        guard case .int(let count)? = value else { return "-" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(count)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", amount, units[unit])
    }
}

/// `signalmesh peers connect`.
struct PeersConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Ask a peer to become a neighbour now (NODE-ID@HOST:PORT, or the id of a peer the node knows).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The peer: NODE-ID@HOST:PORT or a known NODE-ID.")
    var peer: String

    func run() throws {
        let result = try client.connect().call("peers.connect", ["peer": .string(peer)])
        client.report(result, "asked \(peer) to become a neighbour")
    }
}

/// `signalmesh peers disconnect`.
struct PeersDisconnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect", abstract: "Drop a neighbour (it may come back later; ban keeps it away).")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The neighbour's node id.")
    var id: String

    func run() throws {
        let result = try client.connect().call("peers.disconnect", ["id": .string(id)])
        client.report(result, "disconnected \(id)")
    }
}

/// `signalmesh peers ban`.
struct PeersBanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ban", abstract: "Ban a peer: out of the views, its session closed, its handshakes refused.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The peer's node id.")
    var id: String

    @Option(name: .long, help: "How long, in seconds (default 86400: one day).")
    var duration: Int64 = NodeMethods.defaultBanSeconds

    func validate() throws {
        guard (1...NodeMethods.maxBanSeconds).contains(duration) else {
            throw ValidationError("--duration must be from 1 to \(NodeMethods.maxBanSeconds) seconds")
        }
    }

    func run() throws {
        let result = try client.connect().call(
            "peers.ban", ["id": .string(id), "duration_seconds": .int(duration)])
        client.report(result, "banned \(id) until \(result["until"]?.cell ?? "-")")
    }
}

/// `signalmesh peers unban`.
struct PeersUnbanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unban", abstract: "Lift a ban.")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The peer's node id.")
    var id: String

    func run() throws {
        let result = try client.connect().call("peers.unban", ["id": .string(id)])
        client.report(result, "unbanned \(id)")
    }
}

/// `signalmesh peers bans`.
struct PeersBansCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bans", abstract: "List the bans in force.")

    @OptionGroup var client: ClientOptions

    func run() throws {
        let result = try client.connect().call("peers.bans")
        if client.json {
            Output.line(result.line)
            return
        }
        let bans = result["bans"]?.elements ?? []
        if bans.isEmpty { Output.line("no bans") }
        for ban in bans { Output.line("\(ban["id"]?.cell ?? "-")  until \(ban["until"]?.cell ?? "-")") }
    }
}

extension String {
    /// The string without trailing spaces.
    var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

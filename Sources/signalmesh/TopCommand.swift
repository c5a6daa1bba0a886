import ArgumentParser
import Foundation
import MeshControl

/// `signalmesh top`: a live terminal dashboard of the running node — health, traffic rates, neighbours, recent
/// events — redrawn in place every interval.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live dashboard of the running node: health, traffic, peers and recent events.",
        discussion: "Redraws in place every --interval seconds until interrupted; --once prints one frame and exits.")

    @OptionGroup var client: ClientOptions

    @Option(name: .long, help: "Seconds between frames (default 1).")
    var interval: Double = 1

    @Flag(name: .long, help: "Print one frame and exit (no screen control).")
    var once = false

    @Option(name: .long, help: "How many recent events to show (default 10).")
    var eventLines = 10

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be 0.1 to 3600 s") }
        guard (0...200).contains(eventLines) else { throw ValidationError("--event-lines must be 0 to 200") }
    }

    func run() throws {
        let connection = try client.connect()
        _ = try connection.call("events.subscribe", ["since": 0])
        var recent: [JSONValue] = []
        var previous: (traffic: JSONValue, at: Date)?
        let redraw = !once && isatty(STDOUT_FILENO) == 1
        while true {
            let info = try connection.call("node.info")
            let health = try connection.call("node.health")
            let peers = try connection.call("peers.list", ["view": "active"])["peers"]?.elements ?? []
            while connection.waitReadable(milliseconds: 0), let message = try connection.nextNotification() {
                if let event = message["params"]?["event"] { recent.append(event) }
            }
            if recent.count > eventLines { recent.removeFirst(recent.count - eventLines) }
            let now = Date()
            let traffic = info["traffic"] ?? .null
            var rates = "rates appear from the second frame"
            if let previous {
                let seconds = max(now.timeIntervalSince(previous.at), 0.001)
                func rate(_ key: String) -> String {
                    guard case .int(let current)? = traffic[key], case .int(let before)? = previous.traffic[key] else {
                        return "-"
                    }
                    return PeersListCommand.bytes(.int(Int64(Double(current - before) / seconds))) + "/s"
                }
                rates = "in \(rate("bytes_in"))   out \(rate("bytes_out"))"
            }
            previous = (traffic, now)
            var lines: [String] = []
            lines.append("signalmesh top — \(info["node_id"]?.cell ?? "-")")
            lines.append(
                "network \(info["network"]?.cell ?? "-")   uptime \(info["uptime_seconds"]?.cell ?? "-") s   "
                    + "health \(health["status"]?.cell ?? "-")")
            for problem in health["problems"]?.elements ?? [] { lines.append("  ! \(problem.cell)") }
            let counts = info["peers"] ?? .null
            lines.append(
                "peers: \(counts["active"]?.cell ?? "-") active, \(counts["passive"]?.cell ?? "-") passive, "
                    + "\(counts["connected"]?.cell ?? "-") sessions, \(counts["banned"]?.cell ?? "-") banned")
            lines.append(
                "traffic: \(rates)   handshakes \(traffic["handshakes_completed"]?.cell ?? "-") out / "
                    + "\(traffic["handshakes_answered"]?.cell ?? "-") in")
            let gossip = info["gossip"] ?? .null
            let signals = info["signals"] ?? .null
            lines.append(
                "signals: \(signals["given"]?.cell ?? "-") own, \(signals["received"]?.cell ?? "-") received   gossip: "
                    + "\(gossip["delivered"]?.cell ?? "-") delivered, \(gossip["duplicates"]?.cell ?? "-") duplicates, "
                    + "\(gossip["rejected"]?.cell ?? "-") rejected, dropped \(gossip["dropped_in"]?.cell ?? "-") in / "
                    + "\(gossip["dropped_out"]?.cell ?? "-") out   topics "
                    + (gossip["subscriptions"]?.elements.map(\.cell).joined(separator: " ") ?? "-"))
            lines.append("")
            lines.append(peers.isEmpty ? "no neighbours" : PeersListCommand.table(peers))
            lines.append("")
            lines.append("recent events:")
            for event in recent.reversed() { lines.append("  " + EventsCommand.describe(event)) }
            let frame = lines.joined(separator: "\n")
            if redraw {
                // Home the cursor and clear below it, so the frame replaces the last one without flicker.
                Output.line("\u{1B}[H\u{1B}[J" + frame)
            } else {
                Output.line(frame)
            }
            if once { return }
            let deadline = Date().addingTimeInterval(interval)
            while case let left = deadline.timeIntervalSinceNow, left > 0 {
                guard connection.waitReadable(milliseconds: Int32(left * 1000) + 1) else { continue }
                guard let message = try connection.nextNotification() else { return }
                if let event = message["params"]?["event"] { recent.append(event) }
            }
        }
    }
}

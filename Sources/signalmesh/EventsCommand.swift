import ArgumentParser
import MeshControl

/// `signalmesh events`: the running node's event stream (`events.poll`, or `events.subscribe` with `--follow`).
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print the running node's recent events; with --follow, keep printing new ones.",
        discussion: """
            Events have ids that rise by one within a boot of the node; a "gap" line says how many a reader \
            missed (the node keeps the last 4096). With --json each line is one event object \
            (Specs/control-api.md, "Events").
            """)

    @OptionGroup var client: ClientOptions

    @Flag(name: .long, help: "Keep printing events as they happen, until interrupted.")
    var follow = false

    @Option(name: .long, help: "Print events after this id (default: all the node still keeps).")
    var since: Int64 = 0

    @Option(name: .long, help: "Only these types, comma-separated (e.g. neighbor.up,session.*).")
    var types: String?

    func validate() throws {
        guard since >= 0 else { throw ValidationError("--since must be 0 or more") }
    }

    func run() throws {
        let connection = try client.connect()
        var params: [String: JSONValue] = ["since": .int(since)]
        if let types {
            params["types"] = .array(types.split(separator: ",").map { .string(String($0)) })
        }
        if follow {
            _ = try connection.call("events.subscribe", .object(params))
            connection.waitWithoutLimit()
            while let message = try connection.nextNotification() {
                guard message["method"] == .string("events.event"), let event = message["params"]?["event"] else {
                    continue
                }
                print(event)
            }
            return
        }
        var cursor = since
        while true {
            params["since"] = .int(cursor)
            params["timeout_ms"] = 0
            params["limit"] = 1000
            let result = try connection.call("events.poll", .object(params))
            let events = result["events"]?.elements ?? []
            for event in events { print(event) }
            guard case .int(let next)? = result["next"], next > cursor, !events.isEmpty else { return }
            cursor = next
        }
    }

    private func print(_ event: JSONValue) {
        if client.json {
            Output.line(event.line)
        } else {
            Output.line(Self.describe(event))
        }
    }

    /// One event as a line for people: `#12 16:33:35.675 neighbor.up peer=sm1…`.
    static func describe(_ event: JSONValue) -> String {
        let time = String((event["time"]?.cell ?? "-").dropFirst(11).prefix(12))
        let type = event["type"]?.cell ?? "-"
        var members: [String] = []
        if case .object(let data)? = event["data"] {
            for key in data.keys.sorted() { members.append("\(key)=\(data[key]!.cell)") }
        }
        let id = event["id"] == .null ? "   " : "#\(event["id"]?.cell ?? "-")"
        return ([id, time, type] + members).joined(separator: " ")
    }
}

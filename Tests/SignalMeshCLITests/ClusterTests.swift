import Foundation
import Testing

/// Ten `signalmesh run` processes on 127.0.0.1 joined through a signed seed list: two are killed with SIGKILL, the
/// others notice through their failure detector, and one of the two comes back through the peers its store kept.
@Suite struct ClusterTests {
    @Test func tenNodesDropTwoKilledOnesAndARestartedOneRejoinsFromItsPeerStore() throws {
        let setup = try RunCommandTests().setUp()
        var running: [ClusterNode] = []
        defer { for node in running { node.child.kill() } }

        // 1. A seed and nine nodes join; every one of them gets a neighbour.
        let seed = try ClusterNode(
            name: "seed", arguments: setup.arguments("seed", listen: setup.seedAddress) + ["--seed-profile"],
            datadir: setup.datadir("seed"))
        running.append(seed)
        for index in 1...9 {
            let name = "node\(index)"
            running.append(
                try ClusterNode(
                    name: name, arguments: setup.arguments(name, listen: "127.0.0.1:0"), datadir: setup.datadir(name)))
        }
        let lastStart = Date()
        let joined = Date(timeIntervalSinceNow: 20)
        for node in running {
            #expect(node.waitForNeighbor(until: joined) != nil, "\(node.name) found no neighbour: \(node.stderr)")
        }

        // 2. Every node has written its peer store once (5 s after its start); then X and Y are killed. Each survivor's
        // last event id is taken before its active view, so any later change to that view has a larger id.
        Thread.sleep(forTimeInterval: max(0, 6.5 + lastStart.timeIntervalSinceNow))
        let x = running[4]
        let y = running[7]
        let survivors = running.filter { $0.id != x.id && $0.id != y.id }
        var lastEventBefore: [String: Int] = [:]
        var activeBefore: [String: Set<String>] = [:]
        for node in survivors {
            lastEventBefore[node.id] = try node.events().compactMap { $0["id"] as? Int }.max() ?? 0
            activeBefore[node.id] = try node.view("active")
        }
        for node in [x, y] {
            node.child.kill()
            #expect(node.child.exitStatus(within: 10) == 128 + SIGKILL, "\(node.name): \(node.stderr)")
        }
        running = survivors

        // 3. Within the failure detector's time (probes every 1 s, 5 s of suspicion, on a busy machine), no survivor
        // keeps X or Y as a neighbour, and each still has one.
        let gone: Set = [x.id, y.id]
        let detected = Date(timeIntervalSinceNow: 25)
        var views: [String: Set<String>] = [:]
        repeat {
            for node in survivors { views[node.id] = try node.view("active") }
            let settled = survivors.allSatisfy { node in
                views[node.id].map { $0.isDisjoint(with: gone) && !$0.isEmpty } == true
            }
            if settled { break }
            Thread.sleep(forTimeInterval: 1)
        } while Date() < detected
        var reportedDown: Set<String> = []
        for node in survivors {
            // Each survivor's control socket answers; its health says why a view did not settle, if one did not.
            let status = try node.control(["status", "--json"])
            #expect(
                status.status == 0 || status.status == 1, "\(node.name) status: \(status.stderr)\n\(node.stderr)")
            #expect(json(status.stdout)?["info"].flatMap { ($0 as? [String: Any])?["node_id"] as? String } == node.id)
            let view = views[node.id] ?? []
            #expect(view.isDisjoint(with: gone), "\(node.name) still lists a killed node in \(view): \(status.stdout)")
            #expect(!view.isEmpty, "\(node.name) has no neighbour left: \(status.stdout)\n\(node.stderr)")
            // A survivor that had X or Y as a neighbour said so on its event stream.
            let down = Set(
                try node.events(since: lastEventBefore[node.id] ?? 0, types: "neighbor.down").compactMap {
                    ($0["data"] as? [String: Any])?["peer"] as? String
                })
            let expected = (activeBefore[node.id] ?? []).intersection(gone)
            #expect(expected.isSubset(of: down), "\(node.name) had \(expected) as neighbours; down events: \(down)")
            reportedDown.formUnion(down.intersection(gone))
        }
        #expect(!reportedDown.isEmpty, "no survivor reported X or Y down")

        // 4. X's control socket outlives it (SIGKILL unlinks nothing) and no node answers on it.
        var info = stat()
        #expect(lstat(x.datadir + "/control.sock", &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK)
        let stale = try x.control(["status"])
        #expect(stale.status == 69, "\(stale.stderr)")
        #expect(stale.stderr.contains("no node answers"), "\(stale.stderr)")

        // Restarted without seeds, X takes over its LOCK and its socket and rejoins through the peers it stored.
        let restarted = try ClusterNode(
            name: x.name + " (restarted)",
            arguments: ["run", "--datadir", x.datadir, "--network", "devnet", "--listen", "127.0.0.1:0", "--json"],
            datadir: x.datadir)
        running.append(restarted)
        #expect(restarted.id == x.id)
        #expect(restarted.seeds == 0)
        let neighbour = restarted.waitForNeighbor(until: Date(timeIntervalSinceNow: 15))
        #expect(neighbour != nil, "the restarted node found no neighbour: \(restarted.stderr)")
        #expect(neighbour.map { survivors.map(\.id).contains($0) } != false, "\(neighbour ?? "") is not a survivor")
        let status = try restarted.control(["status", "--json"])
        #expect(status.status == 0 || status.status == 1, "\(status.stderr)\n\(restarted.stderr)")
        #expect(json(status.stdout)?["info"].flatMap { ($0 as? [String: Any])?["node_id"] as? String } == x.id)
        let known = try restarted.view("all")
        #expect(!known.isEmpty, "the restarted node knows no peers: \(restarted.stderr)")
        #expect(known.isDisjoint(with: [x.id]))

        // 5. Everyone still running stops cleanly; the restarted node removes its socket this time.
        for node in running { node.child.send(SIGTERM) }
        for node in running {
            #expect(node.child.exitStatus(within: 10) == 0, "\(node.name): \(node.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: x.datadir + "/control.sock"))
    }
}

/// One `signalmesh run` process of the cluster, with its data directory and the id its `listening` line gave.
private struct ClusterNode {
    let name: String
    let datadir: String
    let child: CLIChild
    let id: String
    /// How many seeds the node started with.
    let seeds: Int?

    /// Starts the node and reads its `listening` line.
    init(name: String, arguments: [String], datadir: String) throws {
        self.name = name
        self.datadir = datadir
        child = try CLIChild(arguments, limit: 120)
        let listening = json(child.nextLine(within: 15) ?? "")
        id = try #require(listening?["node_id"] as? String, "\(name) did not start: \(child.standardError)")
        seeds = listening?["seeds"] as? Int
    }

    /// Standard error so far, for failure messages.
    var stderr: String { child.standardError }

    /// Reads output lines until a `neighbor_up` one (or `deadline`); returns the peer it names.
    func waitForNeighbor(until deadline: Date) -> String? {
        while let line = child.nextLine(within: max(0, deadline.timeIntervalSinceNow)) {
            if let event = json(line), event["event"] as? String == "neighbor_up" { return event["peer"] as? String }
        }
        return nil
    }

    /// A control client command against this node, with a short answer timeout.
    func control(_ arguments: [String]) throws -> CLIProcess.Result {
        try CLIProcess.run(arguments + ["--datadir", datadir, "--timeout", "5"])
    }

    /// The ids in one of the node's views (`active`, `passive` or `all`), through `signalmesh peers`.
    func view(_ view: String) throws -> Set<String> {
        let listed = try control(["peers", "--json", "--view", view])
        #expect(listed.status == 0, "\(name) peers: \(listed.stderr)")
        let peers = json(listed.stdout)?["peers"] as? [[String: Any]] ?? []
        return Set(peers.compactMap { $0["id"] as? String })
    }

    /// The node's events after `since`, of `types` if given, through `signalmesh events`.
    func events(since: Int = 0, types: String? = nil) throws -> [[String: Any]] {
        let listed = try control(
            ["events", "--json", "--since", "\(since)"] + (types.map { ["--types", $0] } ?? []))
        #expect(listed.status == 0, "\(name) events: \(listed.stderr)")
        return listed.stdout.split(separator: "\n").compactMap { json(String($0)) }
    }
}

/// The JSON object in `text`, or nil.
private func json(_ text: String) -> [String: Any]? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
}

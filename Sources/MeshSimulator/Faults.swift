public import MeshCore

/// A cut in the simulated network: datagrams across it are dropped while it lasts.
public enum Partition: Sendable, Equatable {
    /// `k` groups (node `i` is in group `i % k`, which spreads the seeds); nothing crosses between groups.
    case split(Int)
    /// Each listed node alone: nothing reaches it, nothing leaves it.
    case isolate([Int])
    /// Datagrams from the first set to the second are dropped; the other way passes (an asymmetric cut, as a
    /// one-way firewall rule or a broken route makes).
    case oneWay(from: [Int], to: [Int])

    /// Whether a datagram from node `from` to node `to` is dropped.
    func cuts(from: Int, to: Int, sets: (Set<Int>, Set<Int>)) -> Bool {
        switch self {
        case .split(let groups): return from % groups != to % groups
        case .isolate: return from != to && (sets.0.contains(from) || sets.0.contains(to))
        case .oneWay: return sets.0.contains(from) && sets.1.contains(to)
        }
    }

    /// The node sets `cuts` reads, made once when the partition starts.
    var sets: (Set<Int>, Set<Int>) {
        switch self {
        case .split: return ([], [])
        case .isolate(let nodes): return (Set(nodes), [])
        case .oneWay(let from, let to): return (Set(from), Set(to))
        }
    }
}

/// Something that happens to the network or its nodes at a scheduled time (`Simulation.schedule`).
public enum Fault: Sendable, Equatable {
    /// A partition that heals after `duration` (nil: it lasts to the end of the run).
    case partition(Partition, duration: Duration?)
    /// The listed nodes crash: they stop at once, and what they had not written durably is lost.
    case crash([Int])
    /// The listed nodes start again from what they wrote durably (a node that is up is crashed first: a kill -9
    /// and restart). A restarted node keeps its key and address.
    case restart([Int])
    /// The listed nodes stop running for `duration` (a stopped process, a long GC pause, a suspended VM): timers
    /// wait, datagrams queue in the socket buffer (up to `Simulation.pausedInboxLimit`), then all run at once.
    case pause([Int], duration: Duration)
    /// The listed nodes' clocks jump by `offset` and from then on run `drift` faster (1e-4 is 100 ppm); a clock
    /// never runs backwards, so a negative offset holds it still until real time catches up.
    case clock([Int], offset: Duration, drift: Double)
    /// For `duration`, `fractionPerMinute` of the nodes (seeds aside) leave per minute, each replaced by a new node
    /// that joins through the seeds, at evenly spaced instants.
    case churn(fractionPerMinute: Double, duration: Duration)
}

/// A fault with its time, in the text form the command line and scenario files use.
///
/// `partition halves@30+60`, `partition split:3@30+60`, `partition isolate:4,7-9@30`, `partition
/// oneway:0-49>50-99@30+20`, `crash 5,6@20`, `restart 5,6@80`, `pause 3@40+10`, `clock 2,3@0:+1500ms:100ppm`,
/// `churn 10%@60+300`. Times and durations are seconds of virtual time from the start of the run; node lists are
/// indices and ranges (`a-b`, inclusive) of the nodes the run starts with.
public struct ScheduledFault: Sendable, Equatable, CustomStringConvertible {
    /// When, from the start of the run.
    public var at: Duration
    /// What.
    public var fault: Fault

    /// A fault at `at`.
    public init(at: Duration, fault: Fault) {
        self.at = at
        self.fault = fault
    }

    /// Parses the text form, checking node indices against `nodes`.
    /// - Throws: `FaultSyntaxError` saying what is wrong and what was expected.
    public init(parsing text: String, nodes: Int) throws(FaultSyntaxError) {
        let trimmed = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard trimmed.count == 2 else {
            throw FaultSyntaxError(text, "expected KIND SPEC@TIME, e.g. 'crash 5@20' or 'partition halves@30+60'")
        }
        let kind = String(trimmed[0])
        let rest = String(trimmed[1])
        guard let atSign = rest.lastIndex(of: "@") else { throw FaultSyntaxError(text, "no @TIME") }
        let spec = String(rest[..<atSign])
        let timing = String(rest[rest.index(after: atSign)...])
        func seconds(_ field: Substring, _ what: String) throws(FaultSyntaxError) -> Duration {
            guard let value = Double(field), value.isFinite, value >= 0, value <= 86_400 * 365 else {
                throw FaultSyntaxError(text, "\(what) '\(field)' is not a number of seconds from 0")
            }
            return .nanoseconds(Int64(value * 1e9))
        }
        func nodeList(_ field: Substring) throws(FaultSyntaxError) -> [Int] {
            var result: [Int] = []
            for part in field.split(separator: ",", omittingEmptySubsequences: false) {
                let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds.last!),
                    low >= 0, low <= high, high < nodes
                else {
                    throw FaultSyntaxError(text, "'\(part)' is not a node index or range a-b within 0..<\(nodes)")
                }
                guard high - low < 1_000_000 else { throw FaultSyntaxError(text, "range '\(part)' is too large") }
                result.append(contentsOf: low...high)
            }
            return result
        }
        // TIME, or TIME+DURATION for the kinds that last.
        let timeParts = timing.split(separator: "+", omittingEmptySubsequences: false)
        guard (1...2).contains(timeParts.count) else {
            throw FaultSyntaxError(text, "expected @TIME or @TIME+DURATION")
        }
        var at: Duration
        var duration: Duration?
        if kind == "clock" {
            // clock LIST@TIME:OFFSET[:DRIFT]
            let clockParts = timing.split(separator: ":", omittingEmptySubsequences: false)
            guard (2...3).contains(clockParts.count) else {
                throw FaultSyntaxError(
                    text, "expected clock LIST@TIME:OFFSETms[:DRIFTppm], e.g. clock 3@10:+500ms:50ppm")
            }
            at = try seconds(clockParts[0], "time")
            let offsetText = clockParts[1]
            guard offsetText.hasSuffix("ms"), let offset = Double(offsetText.dropLast(2)), offset.isFinite,
                abs(offset) <= 86_400_000
            else {
                throw FaultSyntaxError(text, "offset '\(offsetText)' is not milliseconds like +500ms or -20ms")
            }
            var drift = 0.0
            if clockParts.count == 3 {
                let driftText = clockParts[2]
                guard driftText.hasSuffix("ppm"), let ppm = Double(driftText.dropLast(3)), ppm.isFinite,
                    abs(ppm) <= 100_000
                else {
                    throw FaultSyntaxError(text, "drift '\(driftText)' is not parts per million like 50ppm or -20ppm")
                }
                drift = ppm / 1e6
            }
            self.init(
                at: at,
                fault: .clock(try nodeList(Substring(spec)), offset: .nanoseconds(Int64(offset * 1e6)), drift: drift))
            return
        }
        at = try seconds(timeParts[0], "time")
        if timeParts.count == 2 { duration = try seconds(timeParts[1], "duration") }
        switch kind {
        case "partition":
            let partition: Partition
            if spec == "halves" {
                partition = .split(2)
            } else if spec.hasPrefix("split:") {
                guard let groups = Int(spec.dropFirst(6)), (2...nodes).contains(groups) else {
                    throw FaultSyntaxError(text, "split:K needs K from 2 to the node count")
                }
                partition = .split(groups)
            } else if spec.hasPrefix("isolate:") {
                partition = .isolate(try nodeList(spec.dropFirst(8)))
            } else if spec.hasPrefix("oneway:") {
                let sides = spec.dropFirst(7).split(separator: ">", omittingEmptySubsequences: false)
                guard sides.count == 2 else { throw FaultSyntaxError(text, "oneway needs FROM>TO node lists") }
                partition = .oneWay(from: try nodeList(sides[0]), to: try nodeList(sides[1]))
            } else {
                throw FaultSyntaxError(
                    text, "unknown partition '\(spec)': halves, split:K, isolate:LIST or oneway:LIST>LIST")
            }
            self.init(at: at, fault: .partition(partition, duration: duration))
        case "crash", "restart":
            guard duration == nil else { throw FaultSyntaxError(text, "\(kind) takes @TIME only") }
            let list = try nodeList(Substring(spec))
            self.init(at: at, fault: kind == "crash" ? .crash(list) : .restart(list))
        case "pause":
            guard let duration else { throw FaultSyntaxError(text, "pause needs @TIME+DURATION") }
            self.init(at: at, fault: .pause(try nodeList(Substring(spec)), duration: duration))
        case "churn":
            guard let duration else { throw FaultSyntaxError(text, "churn needs @TIME+DURATION") }
            guard spec.hasSuffix("%"), let percent = Double(spec.dropLast()), percent > 0, percent <= 100 else {
                throw FaultSyntaxError(text, "churn needs a percentage per minute above 0, e.g. churn 10%@60+300")
            }
            self.init(at: at, fault: .churn(fractionPerMinute: percent / 100, duration: duration))
        default:
            throw FaultSyntaxError(text, "unknown fault '\(kind)': partition, crash, restart, pause, clock or churn")
        }
    }

    /// The text form (`init(parsing:nodes:)` reads it back).
    public var description: String {
        func list(_ nodes: [Int]) -> String {
            var parts: [String] = []
            var index = 0
            while index < nodes.count {
                var end = index
                while end + 1 < nodes.count, nodes[end + 1] == nodes[end] + 1 { end += 1 }
                parts.append(end > index ? "\(nodes[index])-\(nodes[end])" : "\(nodes[index])")
                index = end + 1
            }
            return parts.joined(separator: ",")
        }
        let seconds = Scenario.seconds
        let time = seconds(at)
        switch fault {
        case .partition(let partition, let duration):
            let spec: String
            switch partition {
            case .split(2): spec = "halves"
            case .split(let groups): spec = "split:\(groups)"
            case .isolate(let nodes): spec = "isolate:\(list(nodes))"
            case .oneWay(let from, let to): spec = "oneway:\(list(from))>\(list(to))"
            }
            return "partition \(spec)@\(time)" + (duration.map { "+" + seconds($0) } ?? "")
        case .crash(let nodes): return "crash \(list(nodes))@\(time)"
        case .restart(let nodes): return "restart \(list(nodes))@\(time)"
        case .pause(let nodes, let duration): return "pause \(list(nodes))@\(time)+\(seconds(duration))"
        case .clock(let nodes, let offset, let drift):
            let milliseconds = Double(offset.nanoseconds) / 1e6
            let offsetText = (milliseconds >= 0 ? "+" : "") + plainNumber(milliseconds)
            return "clock \(list(nodes))@\(time):\(offsetText)ms:\(plainNumber(drift * 1e6))ppm"
        case .churn(let fraction, let duration):
            return "churn \(plainNumber(fraction * 100))%@\(time)+\(seconds(duration))"
        }
    }
}

/// A fault's text form that could not be read.
public struct FaultSyntaxError: Error, Equatable, CustomStringConvertible {
    /// The text.
    public let text: String
    /// What is wrong with it.
    public let problem: String

    init(_ text: String, _ problem: String) {
        self.text = text
        self.problem = problem
    }

    /// The text and its problem, for people.
    public var description: String { "fault '\(text)': \(problem)" }
}

/// A number as people write it and the fault and latency parsers read it back: `10`, `0.5`, `-20`.
func plainNumber(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}

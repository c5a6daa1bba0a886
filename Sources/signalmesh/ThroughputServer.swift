import MeshCore
import MeshRuntime
import MeshWire

/// The receiving side of `signalmesh throughput`, on the host's loop: tallies each peer's data messages and answers
/// a report request with a report on the reliable stream, printing one line per run.
///
/// Each peer has at most one run at a time; data of a new run replaces the tally of the previous one. A reported
/// run's tally is kept, marked, so that its late datagrams do not start a new one.
final class ThroughputServer {
    /// Peers whose runs are tallied at once, 64; data from further peers is ignored until a run ends.
    static let maxRuns = 64

    private struct Run {
        var tally: ThroughputTally
        var isReported = false

        /// Tallies a data message if it belongs to this run and the run is not reported yet; false when it belongs
        /// to another run. (Called in place through the dictionary: reading the run out would copy its tally.)
        mutating func record(run: UInt64, sequence: UInt64, size: Int, at now: Instant) -> Bool {
            guard tally.run == run else { return false }
            if !isReported { tally.record(sequence: sequence, size: size, at: now) }
            return true
        }
    }

    private let host: TransportHost
    private let json: Bool
    private var runs: [NodeID: Run] = [:]
    /// Whether a note about runs refused for `maxRuns` was printed since the last run ended.
    private var warnedFull = false
    /// Messages ignored because they did not decode or were reports (which only a sender takes). The first one is
    /// described on standard error, the rest only counted, so that a peer sending garbage cannot flood the log.
    private(set) var ignoredMessages = 0

    init(host: TransportHost, json: Bool) {
        self.host = host
        self.json = json
    }

    /// Handles one event of the transport.
    func handle(_ event: TransportHost.Event) {
        switch event {
        case .message(let bytes, let peer):
            received(bytes, from: peer)
        case .sessionDown(let peer, let reason):
            if let run = runs.removeValue(forKey: peer), !run.isReported {
                Output.note(
                    "run \(ThroughputReport.runText(run.tally.run)) from \(peer.shortText)… ended without a report "
                        + "request: \(reason.explanation)")
            }
        case .sessionUp, .pong, .writable:
            break
        }
    }

    private func received(_ bytes: [UInt8], from peer: NodeID) {
        let message: ThroughputMessage
        do {
            message = try ThroughputMessage(decoding: bytes)
        } catch {
            ignore("a malformed message of \(bytes.count) bytes from \(peer.shortText)…: \(error)")
            return
        }
        switch message {
        case .data(let mode, let run, let sequence, let size):
            // One lookup per message on the common path (the tally changes in place through its index): at
            // gigabits per second, each extra dictionary lookup shows in the goodput this tool measures.
            if let index = runs.index(forKey: peer),
                runs.values[index].record(run: run, sequence: sequence, size: size, at: host.inputTime)
            {
                return
            }
            guard runs[peer] != nil || runs.count < Self.maxRuns else {
                if !warnedFull {
                    Output.note("ignoring data from \(peer.shortText)…: \(Self.maxRuns) runs are under way")
                    warnedFull = true
                }
                return
            }
            var fresh = Run(tally: ThroughputTally(run: run, mode: mode))
            _ = fresh.record(run: run, sequence: sequence, size: size, at: host.inputTime)
            runs[peer] = fresh
        case .reportRequest(let mode, let run, let messagesSent, _):
            guard runs[peer] != nil || runs.count < Self.maxRuns else { return }
            if runs[peer]?.tally.run != run { runs[peer] = Run(tally: ThroughputTally(run: run, mode: mode)) }
            runs[peer]?.isReported = true
            warnedFull = false
            guard let tally = runs[peer]?.tally else { return }
            answer(tally.report(messagesSent: messagesSent), mode: tally.mode, to: peer)
        case .report:
            ignore("a report from \(peer.shortText)…: this node serves runs, it does not send them")
        }
    }

    private func ignore(_ what: String) {
        ignoredMessages += 1
        if ignoredMessages == 1 { Output.note("ignored \(what); further ignored messages are only counted") }
    }

    private func answer(_ report: ThroughputReport, mode: ThroughputMode, to peer: NodeID) {
        do {
            try host.sendReliable(ThroughputMessage.report(report).encoded, to: peer)
        } catch {
            Output.note("cannot send the report of run \(ThroughputReport.runText(report.run)): \(error)")
        }
        if json {
            var fields = report.jsonFields
            fields["event"] = "run"
            fields["peer"] = peer.text
            fields["mode"] = mode.rawValue
            Output.jsonLine(fields)
        } else {
            Output.line("run \(ThroughputReport.runText(report.run)) from \(peer.shortText)…, \(mode): \(report.text)")
        }
    }
}

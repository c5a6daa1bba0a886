import Foundation
import MeshCore
import MeshRuntime

/// Setting up a `TransportHost` the way every command that runs one does.
extension NodeOptions {
    /// A host for reaching `peer`: bound to `listen` (which must be of the peer's address family) or to the
    /// wildcard address of that family, with the node key or a temporary identity (`purpose` says what for).
    func outboundHost(to peer: PeerAddress, listen: String?, purpose: String) throws(CLIFailure) -> TransportHost {
        let local = try listen.map { text throws(CLIFailure) in try ListenAddress.parse(text) }
        if let local, !local.isSameFamily(as: peer.address) {
            throw CLIFailure.usage(
                "--listen \(local) is \(local.familyName) but \(peer.address) is \(peer.address.familyName); "
                    + "bind an address of the target's family")
        }
        let identity = try loadIdentity(temporaryFor: purpose)
        do {
            return try TransportHost(
                identity: identity, addresses: [local ?? ListenAddress.any(sameFamilyAs: peer.address)],
                settings: endpointSettings)
        } catch {
            throw CLIFailure(setUp: error)
        }
    }

    /// A host that others connect to: the node key of the data directory (refused if others can read it), bound to
    /// `addresses`.
    func inboundHost(bindingTo addresses: [SocketAddress]) throws(CLIFailure) -> TransportHost {
        let identity = try KeyStore.load(from: dataDirectory().keyFile)
        do {
            return try TransportHost(identity: identity, addresses: addresses, settings: endpointSettings)
        } catch {
            throw CLIFailure(setUp: error)
        }
    }

    /// Prints the one line scripts wait for: `<verb> as <node id> on <addresses>` (with `--json`, an object whose
    /// event is "listening").
    func announce(_ host: TransportHost, as verb: String) {
        let bound = host.localAddresses.map(\.description)
        if json {
            Output.jsonLine([
                "event": "listening", "node_id": host.nodeID.text, "addresses": bound, "network": network.value,
            ])
        } else {
            Output.line("\(verb) as \(host.nodeID.text) on \(bound.joined(separator: " "))")
        }
    }

    /// Watches SIGINT and SIGTERM for a long-running command: the first closes every session and stops the loop,
    /// a second exits at once. Install it before printing the line scripts wait for, so that a signal sent as soon
    /// as that line appears is handled. On failure the host is shut down.
    func watchShutdownSignals(of host: TransportHost) throws(CLIFailure) -> SignalWatcher {
        let json = self.json
        do {
            return try SignalWatcher(loop: host.loop) { signal, count in
                guard count == 1 else { Self.exitAtOnce(signal) }
                let sessions = host.connectedPeers.count
                if json {
                    Output.jsonLine(["event": "shutdown", "signal": signal.description, "sessions": sessions])
                } else {
                    Output.line("\(signal): closing \(sessions) session(s) and shutting down")
                }
                host.closeAllSessions()
                host.stop()
            }
        } catch {
            try? host.shutdown()
            throw CLIFailure(setUp: error)
        }
    }

    /// Runs `body` (which runs the host's loop), then shuts the host down; when `body` fails the host is still shut
    /// down, as well as it can be, and the body's error is the one reported.
    static func running<Result>(_ host: TransportHost, _ body: () throws -> Result) throws -> Result {
        let result: Result
        do {
            result = try body()
        } catch {
            try? host.shutdown()
            throw error
        }
        try shutDownCleanly(host)
        return result
    }

    /// Shuts the host down; a failure (a handle still open, the loop refusing to close) is exit code 70.
    static func shutDownCleanly(_ host: TransportHost) throws(CLIFailure) {
        do {
            try host.shutdown()
        } catch {
            throw CLIFailure.software("the transport did not shut down cleanly: \(error.description)")
        }
    }

    /// Exits with 128 + the signal number, as a shell reports a process killed by it.
    static func exitAtOnce(_ signal: SignalWatcher.Signal) -> Never {
        Output.note("\(signal) again: exiting at once")
        switch signal {
        case .interrupt: Foundation.exit(128 + SIGINT)
        case .terminate: Foundation.exit(128 + SIGTERM)
        }
    }
}

public import MeshNode
import MeshSignals
import MeshTransport

extension NodeEvent {
    /// The event's type on the control socket's stream (`Specs/control-api.md`, "Event types").
    public var controlType: String {
        switch self {
        case .neighborUp: "neighbor.up"
        case .neighborDown: "neighbor.down"
        case .malformedMessage: "message.malformed"
        case .sessionUp: "session.up"
        case .sessionDown: "session.down"
        case .banned: "peer.banned"
        case .unbanned: "peer.unbanned"
        case .signal, .signalReceived: "signal"
        }
    }

    /// The event's `data` object on the control socket's stream.
    public var controlData: JSONValue {
        switch self {
        case .neighborUp(let peer), .neighborDown(let peer), .unbanned(let peer):
            return ["peer": .string(peer.text)]
        case .malformedMessage(let peer, let reason):
            return ["peer": .string(peer.text), "reason": .string(reason)]
        case .sessionUp(let peer, let address):
            return ["peer": .string(peer.text), "address": .string(address.description)]
        case .sessionDown(let peer, let reason):
            var data: [String: JSONValue] = ["peer": .string(peer.text)]
            switch reason {
            case .handshakeFailed: data["reason"] = "handshake_failed"
            case .expired: data["reason"] = "expired"
            case .closedLocally: data["reason"] = "closed_locally"
            case .closedByPeer(let code, let text):
                data["reason"] = "closed_by_peer"
                data["code"] = .integer(code)
                data["message"] = .string(text)
            }
            return .object(data)
        case .banned(let peer, let until):
            return ["peer": .string(peer.text), "until": .string(RFC3339.text(until))]
        case .signal(let signal, let record):
            return (record?.controlJSON ?? signal.controlJSON).merging(["origin": "local"])
        case .signalReceived(let record, let from):
            return record.controlJSON.merging(["origin": "peer", "from": .string(from.text)])
        }
    }
}

extension Signal {
    /// The signal as the control socket gives it (`signals.list`, the `signal` event, `strategies.backtest`).
    var controlJSON: JSONValue {
        [
            "strategy": .string(strategy), "rule": .string(rule), "symbol": .string(symbol),
            "timeframe": .string(timeframe), "time": .integer(time), "price": .double(price),
            "side": .string(side.rawValue), "kind": .string(kind.rawValue), "strength": .double(strength),
            "snapshot": .object(snapshot.mapValues { $0.isFinite ? .double($0) : .null }),
        ]
    }
}

extension SignalRecord {
    /// The record as the control socket gives it: the signal, its issuer, sequence and validity.
    var controlJSON: JSONValue {
        signal.controlJSON.merging([
            "issuer": .string(issuer.text), "sequence": .integer(sequence), "issued_at": .integer(issuedAt),
            "expires_at": .integer(expiresAt),
        ])
    }
}

extension JSONValue {
    /// An object with `members` added (replacing members of the same name); other values are returned as they are.
    func merging(_ members: [String: JSONValue]) -> JSONValue {
        guard case .object(let existing) = self else { return self }
        return .object(existing.merging(members) { _, new in new })
    }
}

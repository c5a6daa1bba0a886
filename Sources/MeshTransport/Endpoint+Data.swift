import MeshCore
import MeshCrypto
import MeshWire

extension Endpoint {
    /// Sends `frames` in one packet on the current session, or queues the datagrams and starts a handshake.
    mutating func sendFrames(
        _ frames: [SessionFrame], to state: inout Peer, now: Instant, effects: inout [EndpointEffect]
    ) {
        if var session = state.current, session.canSend(now: now, settings: settings), let address = state.address {
            effects.append(.send(datagram: session.seal(encode(frames)), to: address))
            state.current = session
            state.lastActivity = now
            state.unansweredSince = nil
            if !frames.isEmpty && state.awaitingAnswerSince == nil { state.awaitingAnswerSince = now }
            if session.wantsRekey(now: now, settings: settings) && state.handshake == nil {
                startHandshake(&state, now: now, effects: &effects)
            }
            return
        }
        for case .datagram(let message) in frames {
            if state.queue.count >= settings.maxQueuedMessagesPerPeer {
                state.queue.removeFirst()
                count(.queueOverflow)
            }
            state.queue.append(message)
        }
        if state.handshake == nil { startHandshake(&state, now: now, effects: &effects) }
    }

    private enum Slot {
        case current, previous, next
    }

    mutating func handleData(
        _ data: TransportPacket.DataPacket, bytes: [UInt8], from source: SocketAddress, now: Instant,
        effects: inout [EndpointEffect]
    ) {
        guard let peerID = indices[data.receiverIndex], var state = peers[peerID] else {
            count(.unknownIndex)
            return
        }
        let slot: Slot
        var session: Session
        if let candidate = state.current, candidate.localIndex == data.receiverIndex {
            (slot, session) = (.current, candidate)
        } else if let candidate = state.next, candidate.localIndex == data.receiverIndex {
            (slot, session) = (.next, candidate)
        } else if let candidate = state.previous, candidate.localIndex == data.receiverIndex {
            (slot, session) = (.previous, candidate)
        } else {
            count(.unknownIndex)
            return
        }
        guard session.canReceive(now: now, settings: settings) else {
            count(.expiredSession)
            return
        }
        let priorHighest = session.highestReceived
        guard session.replayWindowAccepts(data.counter) else {
            count(.replayed)
            return
        }
        guard let plaintext = session.open(data, header: bytes[0..<TransportPacket.dataHeaderLength]) else {
            count(.decryptFailed)
            return
        }
        switch slot {
        case .current: state.current = session
        case .previous: state.previous = session
        case .next:
            // Key confirmation: the initiator used the session we offered, so it becomes current.
            state.next = nil
            let wasUp = state.current != nil
            install(session, in: &state)
            if !wasUp { effects.append(.sessionUp(peer: peerID, address: source)) }
        }
        // Roaming: follow the peer to a new address, but only on a packet newer than any before.
        if priorHighest.map({ data.counter > $0 }) ?? true { state.address = source }
        state.awaitingAnswerSince = nil
        state.lastActivity = now
        let frames: [SessionFrame]
        do {
            frames = try SessionFrame.decodeAll(plaintext)
        } catch {
            count(.badFrames)
            peers[peerID] = state
            return
        }
        if !plaintext.isEmpty && state.unansweredSince == nil { state.unansweredSince = now }
        var answerNow = false
        for frame in frames {
            switch frame {
            case .padding:
                break
            case .ping:
                answerNow = true
            case .datagram(let message):
                effects.append(.deliver(message: message, from: peerID))
            case .close(let code, let reason):
                dropSessions(&state)
                state.unansweredSince = nil
                peers[peerID] = state
                effects.append(.sessionDown(peer: peerID, reason: .closedByPeer(code: code, reason: reason)))
                return
            }
        }
        if answerNow { sendFrames([], to: &state, now: now, effects: &effects) }
        peers[peerID] = state
    }
}

extension Session {
    /// Whether the replay window would take `counter` (checked before the cost of decrypting).
    func replayWindowAccepts(_ counter: UInt64) -> Bool {
        replay.wouldAccept(counter)
    }
}

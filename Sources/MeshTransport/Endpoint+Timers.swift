import MeshCore

extension Endpoint {
    /// Handshake retries, session expiry, keepalives and the unresponsive-peer check for one peer.
    mutating func runTimers(_ state: inout Peer, now: Instant, effects: inout [EndpointEffect]) {
        if let handshake = state.handshake, now >= handshake.retryAt {
            if handshake.attempts >= settings.handshakeAttempts {
                indices[handshake.localIndex] = nil
                state.handshake = nil
                drops[.queueOverflow, default: 0] += state.queue.count
                state.queue.removeAll()
                if state.current == nil { effects.append(.sessionDown(peer: state.id, reason: .handshakeFailed)) }
            } else {
                startHandshake(&state, now: now, effects: &effects)
            }
        }
        if let previous = state.previous, now - previous.createdAt >= settings.rejectAfterTime {
            indices[previous.localIndex] = nil
            state.previous = nil
        }
        if let next = state.next, now - next.createdAt >= settings.rejectAfterTime {
            indices[next.localIndex] = nil
            state.next = nil
        }
        if let current = state.current, now - current.createdAt >= settings.rejectAfterTime {
            indices[current.localIndex] = nil
            state.current = nil
            state.unansweredSince = nil
            state.awaitingAnswerSince = nil
            effects.append(.sessionDown(peer: state.id, reason: .expired))
        }
        if let since = state.unansweredSince, now >= since + settings.keepaliveTimeout {
            if state.current != nil { sendFrames([], to: &state, now: now, effects: &effects) }
            state.unansweredSince = nil
        }
        if let since = state.awaitingAnswerSince, now >= since + settings.unresponsiveTimeout {
            state.awaitingAnswerSince = nil
            if state.handshake == nil { startHandshake(&state, now: now, effects: &effects) }
        }
    }
}

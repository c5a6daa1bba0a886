import MeshCore

extension Endpoint {
    /// Handshake retries, session expiry, keepalives, acknowledgments, loss detection, pacing and the
    /// unresponsive-peer check for one peer.
    mutating func runTimers(_ state: inout Peer, now: Instant, effects: inout [EndpointEffect]) {
        if let handshake = state.handshake, now >= handshake.retryAt {
            if handshake.attempts >= settings.handshakeAttempts {
                indices[handshake.localIndex] = nil
                state.handshake = nil
                drops[.queueOverflow, default: 0] += state.queue.count
                state.queue.removeAll()
                if state.current == nil {
                    resetStreams(&state)
                    counters.handshakesFailed += 1
                    effects.append(.sessionDown(peer: state.id, reason: .handshakeFailed))
                }
            } else {
                startHandshake(&state, now: now, effects: &effects)
            }
        }
        if let previous = state.previous, now - previous.createdAt >= settings.rejectAfterTime {
            retire(.previous, of: &state)
        }
        if let next = state.next, now - next.createdAt >= settings.rejectAfterTime {
            retire(.next, of: &state)
        }
        if let current = state.current, now - current.createdAt >= settings.rejectAfterTime {
            endConnection(&state, reason: .expired, effects: &effects)
        }
        for slot in SessionSlot.allCases {
            guard let deadline = state.withSession(slot, { $0.sent.lossDetectionDeadline }) ?? nil, now >= deadline,
                var session = state.take(slot)
            else { continue }
            let timeout = session.sent.onLossDetectionTimeout(now: now)
            state.put(consume session, slot)
            state.congestion.onPacketsLost(timeout.lost, persistentCongestion: timeout.persistentCongestion, now: now)
            for packet in timeout.lost { lost(packet.payload, state: &state) }
            // Probes: new or lost stream data if there is some, a PING otherwise (RFC 9002, section 6.2.4).
            for _ in 0..<timeout.probePackets {
                var record = PacketRecord()
                var frames: [SessionFrame] = [.ping]
                if var sender = state.streamOut,
                    let chunk = sender.nextChunk(maxBytes: Session.maxPlaintext - SessionFrame.streamOverhead - 64)
                {
                    frames = [.stream(streamID: sender.id, offset: chunk.offset, bytes: chunk.bytes)]
                    record.stream = (sender.id, chunk.offset..<(chunk.offset + UInt64(chunk.bytes.count)))
                    state.streamOut = sender
                }
                transmit(frames, record: record, to: &state, now: now, effects: &effects)
            }
        }
        flush(&state, now: now, effects: &effects)
        if let since = state.unansweredSince, now >= since + settings.keepaliveTimeout {
            if state.current != nil { transmit([], to: &state, now: now, effects: &effects) }
            state.unansweredSince = nil
        }
        if let since = state.awaitingAnswerSince, now >= since + settings.unresponsiveTimeout {
            state.awaitingAnswerSince = nil
            if state.handshake == nil { startHandshake(&state, now: now, effects: &effects) }
        }
    }
}

import MeshCore
import MeshCrypto
import MeshWire

extension Endpoint {
    /// Sends one packet with `frames` (plus any ACK we owe) on the current session and records it for loss
    /// detection and congestion control. Returns false when no session can send.
    @discardableResult
    mutating func transmit(
        _ frames: [SessionFrame], record: PacketRecord = PacketRecord(), to state: inout Peer, now: Instant,
        effects: inout [EndpointEffect]
    ) -> Bool {
        var frames = frames
        return transmit(&frames, record: record, to: &state, now: now, effects: &effects)
    }

    /// `transmit`, with the frames in an array the caller reuses (the owed ACK is inserted into it): the packet
    /// path's way of sending without allocating.
    @discardableResult
    mutating func transmit(
        _ frames: inout [SessionFrame], record: PacketRecord = PacketRecord(), to state: inout Peer, now: Instant,
        effects: inout [EndpointEffect]
    ) -> Bool {
        let settings = settings
        // A full tracker means the peer acknowledges nothing; nothing more goes out until it does or the probe
        // timer makes room.
        guard let address = state.address,
            state.withSession(.current, { $0.canSend(now: now, settings: settings) && $0.sent.canTrackMore }) == true
        else { return false }
        // The session is changed where it lies in the peer; the pooled buffer is moved in, so sealing into it
        // copies nothing.
        var buffer: [UInt8]? = buffers.take()
        let sealed = state.withSession(.current) { session in
            var record = record
            // Piggyback the ACK owed on the current session; ACKs owed on older sessions go in their own packets.
            if record.ack == nil, session.received.ackDeadline != nil,
                let ack = session.received.makeAckFrame(now: now)
            {
                frames.insert(.ack(sessionIndex: session.remoteIndex, ack), at: 0)
                record.ack = (session.localIndex, ack)
            }
            let ackEliciting = frames.contains(where: \.isAckEliciting)
            let (packet, number) = session.seal(frames, into: buffer.take()!)
            session.sent.onPacketSent(
                number, size: packet.count, ackEliciting: ackEliciting, inFlight: ackEliciting, payload: record,
                now: now)
            return (
                packet: packet, ackEliciting: ackEliciting, smoothedRTT: session.sent.rtt.smoothedRTT,
                wantsRekey: session.wantsRekey(now: now, settings: settings)
            )
        }
        guard let (packet, ackEliciting, smoothedRTT, wantsRekey) = consume sealed else { return false }
        if ackEliciting {
            state.congestion.onPacketSent(bytes: packet.count)
            state.pacer.onPacketSent(
                now: now, bytes: packet.count, congestionWindow: state.congestion.congestionWindow,
                smoothedRTT: smoothedRTT)
        }
        state.lastActivity = now
        state.unansweredSince = nil
        state.traffic.packetsOut += 1
        state.traffic.bytesOut += packet.count
        emit(packet, to: address, effects: &effects)
        if ackEliciting && state.awaitingAnswerSince == nil { state.awaitingAnswerSince = now }
        if wantsRekey && state.handshake == nil {
            startHandshake(&state, now: now, effects: &effects)
        }
        return true
    }

    /// Sends `message` in a DATAGRAM frame now, or queues it and starts a handshake.
    mutating func sendDatagram(
        _ message: [UInt8], to state: inout Peer, now: Instant, effects: inout [EndpointEffect]
    ) {
        var frames = borrowFrames()
        frames.append(.datagram(message))
        let sent = transmit(&frames, to: &state, now: now, effects: &effects)
        giveBack(&frames)
        if sent { return }
        if state.queue.count >= settings.maxQueuedMessagesPerPeer {
            state.queue.removeFirst()
            count(.queueOverflow)
        }
        state.queue.append(message)
        if state.handshake == nil { startHandshake(&state, now: now, effects: &effects) }
    }

    /// The endpoint's reusable frame array, empty, to build one packet in; `giveBack(_:)` returns it. (A nested
    /// borrow gets a new array, which only costs an allocation.)
    mutating func borrowFrames() -> [SessionFrame] {
        var frames = frameScratch
        frameScratch = []
        frames.removeAll(keepingCapacity: true)
        return frames
    }

    /// Takes the frame array back, emptied (which releases the payloads it held), unless the one kept is larger;
    /// `frames` is left empty, so the endpoint holds the only reference and reuses the storage in place.
    mutating func giveBack(_ frames: inout [SessionFrame]) {
        defer { frames = [] }
        guard frames.capacity >= frameScratch.capacity else { return }
        frames.removeAll(keepingCapacity: true)
        frameScratch = frames
    }

    /// Sends what the peer is owed and what the stream has, as congestion control and pacing allow: ACKs due on
    /// any session, a MAX_DATA grant, and stream chunks.
    mutating func flush(_ state: inout Peer, now: Instant, effects: inout [EndpointEffect]) {
        let settings = settings
        guard state.withSession(.current, { $0.canSend(now: now, settings: settings) }) == true, state.address != nil
        else { return }
        // ACKs owed on sessions other than the current one (the current one's ride along below).
        for slot in SessionSlot.older {
            guard let deadline = state.withSession(slot, { $0.received.ackDeadline }) ?? nil, deadline <= now,
                var session = state.take(slot)
            else { continue }
            let ack = session.received.makeAckFrame(now: now)
            let (localIndex, remoteIndex) = (session.localIndex, session.remoteIndex)
            state.put(consume session, slot)
            guard let ack else { continue }
            var record = PacketRecord()
            record.ack = (localIndex, ack)
            transmit([.ack(sessionIndex: remoteIndex, ack)], record: record, to: &state, now: now, effects: &effects)
        }
        state.pacedUntil = nil
        var frames = borrowFrames()
        defer { giveBack(&frames) }
        for _ in 0..<settings.maxPacketsPerFlush {
            frames.removeAll(keepingCapacity: true)
            var record = PacketRecord()
            var budget = Session.maxPlaintext
            let streamReady = streamMaySend(&state, now: now)
            let ackDeadline = state.current?.received.ackDeadline
            // An owed ACK goes out when due, or earlier when the packet is going anyway; it is written first, so
            // the stream chunk can fill exactly what is left.
            let sendAck = ackDeadline.map { $0 <= now || streamReady || state.announceMaxData } ?? false
            if sendAck,
                let (ack, localIndex, remoteIndex) = state.withSession(
                    .current, { ($0.received.makeAckFrame(now: now), $0.localIndex, $0.remoteIndex) }),
                let ack
            {
                let frame = SessionFrame.ack(sessionIndex: remoteIndex, ack)
                frames.append(frame)
                record.ack = (localIndex, ack)
                budget -= frame.encodedSize
            }
            if state.announceMaxData, let receiver = state.streamIn {
                let frame = SessionFrame.maxData(streamID: receiver.id, limit: receiver.currentLimit)
                frames.append(frame)
                record.maxData = receiver.id
                state.announceMaxData = false
                budget -= frame.encodedSize
            }
            // A stream chunk is copied into a recycled buffer, which goes back to the pool once the packet is sealed.
            var chunk: [UInt8]?
            if streamReady, let id = state.streamOut?.id {
                var bytes = buffers.take()
                if let offset = state.streamOut!.nextChunk(maxBytes: budget - SessionFrame.streamOverhead, into: &bytes)
                {
                    frames.append(.stream(streamID: id, offset: offset, bytes: bytes))
                    record.stream = (id, offset..<(offset + UInt64(bytes.count)))
                }
                chunk = consume bytes
            }
            let hasFrames = !frames.isEmpty
            if hasFrames {
                transmit(&frames, record: record, to: &state, now: now, effects: &effects)
                frames.removeAll(keepingCapacity: true)
            }
            if let chunk { buffers.give(chunk) }
            if !hasFrames || record.stream == nil { break }
        }
    }

    private enum Slot {
        case current, previous, next
    }

    /// Whether a stream packet may go now: data waits, and congestion control, the tracker and the pacer allow
    /// it. When only the pacer holds it back, `pacedUntil` says until when.
    func streamMaySend(_ state: inout Peer, now: Instant) -> Bool {
        guard state.streamOut?.hasSendableData == true,
            let (canTrackMore, smoothedRTT) = state.withSession(
                .current, { ($0.sent.canTrackMore, $0.sent.rtt.smoothedRTT) })
        else { return false }
        let size = Limits.maxDatagramSize
        guard state.congestion.canSend(bytes: size), canTrackMore else { return false }
        let sendAt = state.pacer.nextSendTime(
            now: now, bytes: size, congestionWindow: state.congestion.congestionWindow, smoothedRTT: smoothedRTT)
        guard sendAt <= now else {
            state.pacedUntil = sendAt
            return false
        }
        return true
    }

    mutating func handleData(
        receiverIndex: UInt32, counter: UInt64, datagram: [UInt8], from source: SocketAddress, now: Instant,
        effects: inout [EndpointEffect]
    ) {
        guard let peerID = indices[receiverIndex], let slot = peers.slot(of: peerID) else {
            count(.unknownIndex)
            return
        }
        let handled: Void? = withPeer(inSlot: slot) { endpoint, state in
            endpoint.handleData(
                receiverIndex: receiverIndex, counter: counter, datagram: datagram, from: source, peerID: peerID,
                state: &state, now: now, effects: &effects)
        }
        if handled == nil { count(.unknownIndex) }  // the peer is checked out: not on this path
    }

    /// `handleData` for the peer's state, changed in place.
    private mutating func handleData(
        receiverIndex: UInt32, counter: UInt64, datagram: [UInt8], from source: SocketAddress, peerID: NodeID,
        state: inout Peer, now: Instant, effects: inout [EndpointEffect]
    ) {
        guard let slot = state.slot(ofLocalIndex: receiverIndex) else {
            count(.unknownIndex)
            return
        }
        var plaintext = plaintextScratch
        plaintextScratch = []
        defer { plaintextScratch = plaintext }
        // The session is read and changed where it lies in the peer (a move out and back costs two copies of it).
        let settings = settings
        var priorHighest: UInt64?
        let opened = state.withSession(slot) { session -> DropReason? in
            guard session.canReceive(now: now, settings: settings) else { return .expiredSession }
            priorHighest = session.highestReceived
            guard session.replayWindowAccepts(counter) else { return .replayed }
            guard session.open(datagram, counter: counter, into: &plaintext) else { return .decryptFailed }
            return nil
        }
        switch opened {
        case .some(.none): break
        case .some(.some(let reason)):
            count(reason)
            return
        case .none:  // the slot was found just above, so it holds a session
            count(.unknownIndex)
            return
        }
        var frames = borrowFrames()
        defer { giveBack(&frames) }
        let decoded = (try? SessionFrame.decodeAll(plaintext, into: &frames, buffers: &buffers)) != nil
        let ackEliciting = decoded && frames.contains(where: \.isAckEliciting)
        // A counter above 2^62 - 1 cannot be acknowledged; such a session is near its end anyway.
        state.withSession(slot) { session in
            try? session.received.onPacketReceived(counter, ackEliciting: ackEliciting, now: now)
        }
        let wasUp = state.isUp
        if slot == .next, let session = state.take(.next) {
            // Key confirmation: the initiator used the session we offered, so it becomes current.
            install(consume session, in: &state)
            if !wasUp { connectionUp(&state, address: source, outbound: false, now: now, effects: &effects) }
        }
        // Roaming: follow the peer to a new address, but only on a packet newer than any before.
        if priorHighest.map({ counter > $0 }) ?? true { state.address = source }
        state.awaitingAnswerSince = nil
        state.lastActivity = now
        state.traffic.packetsIn += 1
        state.traffic.bytesIn += datagram.count
        guard decoded else {
            count(.badFrames)
            return
        }
        if ackEliciting && state.unansweredSince == nil { state.unansweredSince = now }
        var answerNow = false
        for index in frames.indices {
            // Taken out of the array, so that a payload the endpoint is done with is the pool's only reference.
            let frame = frames[index]
            frames[index] = .padding
            switch frame {
            case .padding:
                break
            case .ping:
                if !answerNow { effects.append(.pinged(peer: peerID)) }
                answerNow = true
            case .datagram(let message):
                effects.append(.deliver(message: message, from: peerID))
            case .close(let code, let reason):
                endConnection(&state, reason: .closedByPeer(code: code, reason: reason), effects: &effects)
                return
            case .ack(let index, let ack):
                guard handleAck(ack, sessionIndex: index, state: &state, now: now, effects: &effects) else {
                    violation(&state, effects: &effects)
                    return
                }
            case .stream(let id, let offset, let chunk):
                guard receiveStream(id: id, offset: offset, bytes: chunk, state: &state, effects: &effects) else {
                    violation(&state, effects: &effects)
                    return
                }
                buffers.give(chunk)
            case .maxData(let id, let limit):
                if state.streamOut?.id == id, limit > state.streamOut!.limit { state.streamOut!.limit = limit }
            }
        }
        // Handed back before the answer and the flush below, which build packets in the same array.
        giveBack(&frames)
        if answerNow,
            let (ack, localIndex, remoteIndex) = state.withSession(
                .current, { ($0.received.makeAckFrame(now: now), $0.localIndex, $0.remoteIndex) }),
            let ack
        {
            // A PING is answered at once, so that the sender's RTT sample has no acknowledgment delay in it.
            var record = PacketRecord()
            record.ack = (localIndex, ack)
            transmit([.ack(sessionIndex: remoteIndex, ack)], record: record, to: &state, now: now, effects: &effects)
        }
        flush(&state, now: now, effects: &effects)
    }

    /// Applies an ACK frame to the session it names; false on a protocol violation.
    mutating func handleAck(
        _ ack: AckFrame, sessionIndex: UInt32, state: inout Peer, now: Instant, effects: inout [EndpointEffect]
    ) -> Bool {
        if let slot = state.slot(ofLocalIndex: sessionIndex) {
            var outcome = ackOutcomeScratch
            ackOutcomeScratch = AckOutcome()
            defer {
                outcome.acknowledged.removeAll(keepingCapacity: true)
                outcome.lost.removeAll(keepingCapacity: true)
                ackOutcomeScratch = outcome
            }
            let applied = state.withSession(slot) { session in
                (try? session.sent.onAckReceived(ack, now: now, into: &outcome)) != nil
            }
            guard applied == true else { return false }
            // RFC 9002, section 7.8: the window grows only while it is what limits the sender — stream data waits
            // for it, a datagram was refused for want of it, or the packets in flight before this ACK filled it to
            // within one datagram. (Counting only stream data froze a datagram sender's window at its initial size.)
            let windowLimited =
                !state.congestion.canSend(bytes: Limits.maxDatagramSize) || state.datagramBlocked
                || (state.streamOut?.hasSendableData ?? false)
            let applicationLimited = !windowLimited
            state.congestion.onAckOutcome(outcome, applicationLimited: applicationLimited, now: now)
            if state.datagramBlocked && state.congestion.canSend(bytes: Limits.maxDatagramSize)
                && state.withSession(.current, { $0.sent.canTrackMore }) == true
            {
                state.datagramBlocked = false
                effects.append(.writable(peer: state.id))
            }
            for packet in outcome.acknowledged {
                acknowledged(packet, state: &state, now: now, effects: &effects)
            }
            for packet in outcome.lost { lost(packet.payload, state: &state) }
            return true
        }
        // An ACK for a session already retired: nothing left to learn from it.
        return true
    }

    mutating func acknowledged(
        _ packet: SentPacket<PacketRecord>, state: inout Peer, now: Instant, effects: inout [EndpointEffect]
    ) {
        let record = packet.payload
        if let (id, range) = record.stream, state.streamOut?.id == id {
            state.streamOut!.acknowledge(range)
        }
        if let (index, frame) = record.ack, let slot = state.slot(ofLocalIndex: index) {
            state.withSession(slot) { $0.received.onAckFrameAcknowledged(frame) }
        }
        if record.isPing { effects.append(.pong(peer: state.id, rtt: now - packet.timeSent)) }
    }

    /// A packet was lost (or its session retired): what it carried that still matters goes out again.
    mutating func lost(_ record: PacketRecord, state: inout Peer) {
        if let (id, range) = record.stream, state.streamOut?.id == id {
            state.streamOut!.lose(range)
        }
        if let id = record.maxData, state.streamIn?.id == id { state.announceMaxData = true }
    }

    /// Takes a stream chunk; false on a protocol violation.
    mutating func receiveStream(
        id: UInt32, offset: UInt64, bytes: [UInt8], state: inout Peer, effects: inout [EndpointEffect]
    ) -> Bool {
        if state.streamIn?.id != id {
            // A new generation: the sender started over (it lost its connection state); so do we.
            reassemblyBytes -= state.streamIn?.pendingBytes ?? 0
            state.streamIn = StreamReceiver(
                id: id, window: Self.streamWindow, maxMessage: Limits.maxStreamMessageSize)
        }
        var receiver = state.streamIn!
        let pendingBefore = receiver.pendingBytes
        if offset > receiver.contiguousEnd && reassemblyBytes + bytes.count > settings.maxReassemblyBytes {
            count(.reassemblyFull)
            return true
        }
        // Out of the peer while it changes, so that its buffers have one owner and change in place.
        state.streamIn = nil
        var messages = messageScratch
        messageScratch = []
        defer {
            messages.removeAll(keepingCapacity: true)
            messageScratch = messages
        }
        do {
            try receiver.receive(offset: offset, bytes: bytes, messages: &messages, buffers: &buffers)
        } catch {
            state.streamIn = receiver
            return false
        }
        reassemblyBytes += receiver.pendingBytes - pendingBefore
        if receiver.limitUpdate() != nil { state.announceMaxData = true }
        state.streamIn = receiver
        for message in messages { effects.append(.deliver(message: message, from: state.id)) }
        return true
    }

    /// Closes the sessions of a peer that broke the protocol, telling it why.
    mutating func violation(_ state: inout Peer, effects: inout [EndpointEffect]) {
        count(.protocolViolation)
        if var session = state.current, let address = state.address {
            let (packet, _) = session.seal([.close(code: 1, reason: "protocol violation")])
            emit(packet, to: address, effects: &effects)
        }
        endConnection(&state, reason: .closedLocally, effects: &effects)
    }

    /// Ends every session with the peer and abandons its streams.
    mutating func endConnection(_ state: inout Peer, reason: SessionDownReason, effects: inout [EndpointEffect]) {
        let wasUp = state.current != nil
        dropSessions(&state)
        resetStreams(&state)
        state.unansweredSince = nil
        state.awaitingAnswerSince = nil
        state.connectedSince = nil
        if wasUp {
            counters.sessionsDown += 1
            effects.append(.sessionDown(peer: state.id, reason: reason))
        }
    }

    /// Forgets the peer's streams; unacknowledged reliable messages are counted as aborted.
    mutating func resetStreams(_ state: inout Peer) {
        if let sender = state.streamOut, sender.bufferedBytes > 0 { count(.streamAborted) }
        state.streamOut = nil
        reassemblyBytes -= state.streamIn?.pendingBytes ?? 0
        state.streamIn = nil
        state.announceMaxData = false
        state.congestion = CongestionController()
        state.pacer = Pacer()
        state.pacedUntil = nil
    }
}

extension Session {
    /// Whether the replay window would take `counter` (checked before the cost of decrypting).
    func replayWindowAccepts(_ counter: UInt64) -> Bool {
        replay.wouldAccept(counter)
    }
}

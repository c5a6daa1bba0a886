import MeshCore
import MeshCrypto
import MeshWire

extension Endpoint {
    /// Sends a new initiation to the peer's address, replacing any pending one (its index is retired).
    mutating func startHandshake(_ state: inout Peer, now: Instant, effects: inout [EndpointEffect]) {
        guard let address = state.address else { return }
        let attempts = (state.handshake?.attempts ?? 0) + 1
        if let old = state.handshake { indices[old.localIndex] = nil }
        state.handshake = nil
        let index = newIndex()
        if state.staticShared == nil {
            state.staticShared = try? staticKey.sharedSecret(with: state.staticKey)
            rememberStaticShared(state)
        }
        var noise = NoiseIKInitiator(
            prologue: prologue, localStatic: staticKey, remoteStatic: state.staticKey,
            ephemeral: newEphemeral(), staticShared: state.staticShared)
        let payload = TAI64N(now).bytes + nodeID.publicKey.bytes
        // Only a low-order static key fails here, and `Peer` refuses node ids that do not convert to X25519.
        guard let message = try? noise.writeInitiation(payload: payload) else { return }
        var packet = TransportPacket.initiation(.init(senderIndex: index, noiseMessage: message)).encoded
        PacketMAC.seal(&packet, mac1Key: state.mac1Key, cookie: state.validCookie(now: now, settings: settings))
        let mac1 = Bytes16(packet[(packet.count - 32)..<(packet.count - 16)])!
        let jitter = Duration.nanoseconds(
            Int64(generator.next() % UInt64(max(settings.handshakeJitter.nanoseconds, 1))))
        state.handshake = PendingHandshake(
            noise: noise, localIndex: index, mac1: mac1, retryAt: now + settings.handshakeTimeout + jitter,
            attempts: attempts)
        indices[index] = state.id
        counters.handshakesInitiated += 1
        emit(packet, to: address, effects: &effects)
    }

    /// Counts a valid initiation towards the load estimate; true while the node is under load.
    mutating func noteInitiationAndCheckLoad(now: Instant) -> Bool {
        if now - loadWindow.start >= .seconds(1) {
            let elapsedWindows = (now - loadWindow.start).nanoseconds / 1_000_000_000
            loadWindow = (loadWindow.start + .seconds(elapsedWindows), 0, elapsedWindows == 1 ? loadWindow.count : 0)
        }
        loadWindow.count += 1
        return max(loadWindow.count, loadWindow.previous) > settings.underLoadInitiationsPerSecond
    }

    mutating func handleInitiation(
        _ initiation: TransportPacket.Initiation, bytes: [UInt8], from source: SocketAddress, now: Instant,
        effects: inout [EndpointEffect]
    ) {
        // 1. mac1 before anything that costs a Diffie-Hellman.
        guard PacketMAC.verify(initiation.mac1, key: ourMAC1Key, over: bytes[..<(bytes.count - 32)]) else {
            count(.badMAC1)
            return
        }
        // 2. Under load, only initiations that carry a cookie for their source address go on.
        if noteInitiationAndCheckLoad(now: now) && !cookies.verifyMAC2(bytes, from: source) {
            count(.cookieRequired)
            let reply = cookies.reply(
                to: source, senderIndex: initiation.senderIndex, mac1: initiation.mac1, random: &random)
            counters.cookieRepliesSent += 1
            emit(TransportPacket.cookieReply(reply).encoded, to: source, effects: &effects)
            return
        }
        // 3. Per-source rate limit.
        guard rateLimiter.allow(source, now: now) else {
            count(.rateLimited)
            return
        }
        // 4. The Noise message, its payload and the identity it claims.
        var responder = NoiseIKResponder(prologue: prologue, localStatic: staticKey)
        let known = staticSharedByKey
        guard
            let (payload, remoteStatic) = try? responder.readInitiation(
                initiation.noiseMessage, staticShared: { known[$0] }),
            payload.count == TAI64N.length + Bytes32.count,
            let timestamp = TAI64N(bytes: Array(payload[0..<TAI64N.length]))
        else {
            count(.handshakeFailed)
            return
        }
        let peerID = NodeID(publicKey: Bytes32(payload[TAI64N.length...])!)
        // A known peer's X25519 key was derived when it was first seen; only a new one costs the conversion.
        let claimed = peers[peerID]?.staticKey ?? (try? Ed25519PublicKey(peerID).x25519PublicKey())
        guard claimed == remoteStatic else {
            count(.identityMismatch)
            return
        }
        if let until = blocked[peerID] {
            guard until <= now else {
                count(.blockedPeer)
                return
            }
            unblock(peerID)
        }
        guard var state = try? takePeer(peerID) else {
            count(.peerTableFull)
            return
        }
        defer { store(state) }
        if state.staticShared == nil {
            state.staticShared = try? staticKey.sharedSecret(with: remoteStatic)
            rememberStaticShared(state)
        }
        // 5. A timestamp not newer than the last accepted one is a replay (or a stale retransmission).
        if let last = state.lastTimestamp, !(last < timestamp) {
            count(.replayedInitiation)
            return
        }
        guard let (message, keys) = try? responder.writeResponse(payload: [], ephemeral: newEphemeral()) else {
            count(.handshakeFailed)
            return
        }
        state.lastTimestamp = timestamp
        let index = newIndex()
        var packet = TransportPacket.response(
            .init(senderIndex: index, receiverIndex: initiation.senderIndex, noiseMessage: message)
        ).encoded
        PacketMAC.seal(&packet, mac1Key: state.mac1Key, cookie: state.validCookie(now: now, settings: settings))
        retire(.next, of: &state)
        state.next = Session(
            localIndex: index, remoteIndex: initiation.senderIndex, keys: keys, isInitiator: false, now: now,
            initialRTT: state.current?.sent.rtt.carriedRTT)
        noteSessionKeys(keys)
        indices[index] = peerID
        state.address = source
        state.lastActivity = now
        counters.handshakesAnswered += 1
        emit(packet, to: source, effects: &effects)
    }

    /// Records the digest of a new session's sending key, when the settings ask for it.
    private mutating func noteSessionKeys(_ keys: NoiseTransportKeys) {
        guard settings.keepsSessionKeyDigests else { return }
        if sessionKeyDigests.count >= Self.maxSessionKeyDigests {
            sessionKeyDigests.removeFirst(Self.maxSessionKeyDigests / 2)
        }
        var digest = SHA256()
        keys.sending.withUnsafeBytes { digest.update($0) }
        sessionKeyDigests.append(digest.finalize())
    }

    mutating func handleResponse(
        _ response: TransportPacket.Response, bytes: [UInt8], from source: SocketAddress, now: Instant,
        effects: inout [EndpointEffect]
    ) {
        guard let peerID = indices[response.receiverIndex], var state = checkOut(peerID) else {
            count(.unexpected)
            return
        }
        defer { store(state) }
        guard let handshake = state.handshake, handshake.localIndex == response.receiverIndex else {
            count(.unexpected)
            return
        }
        guard PacketMAC.verify(response.mac1, key: ourMAC1Key, over: bytes[..<(bytes.count - 32)]) else {
            count(.badMAC1)
            return
        }
        // Work on a copy: a forged response must not destroy the real handshake still in flight.
        var attempt = handshake.noise
        guard let (_, keys) = try? attempt.readResponse(response.noiseMessage) else {
            count(.handshakeFailed)
            return
        }
        state.handshake = nil
        let session = Session(
            localIndex: handshake.localIndex, remoteIndex: response.senderIndex, keys: keys, isInitiator: true,
            now: now, initialRTT: state.current?.sent.rtt.carriedRTT)
        noteSessionKeys(keys)
        let wasUp = state.current != nil
        install(session, in: &state)
        state.address = source
        state.lastActivity = now
        state.awaitingAnswerSince = nil
        counters.handshakesCompleted += 1
        if !wasUp { connectionUp(&state, address: source, outbound: true, now: now, effects: &effects) }
        // Confirm the session to the responder with the queued messages and stream data, or a keepalive.
        let queued = state.queue
        state.queue.removeAll()
        for message in queued { sendDatagram(message, to: &state, now: now, effects: &effects) }
        let hadStreamData = state.streamOut?.hasSendableData ?? false
        flush(&state, now: now, effects: &effects)
        if queued.isEmpty && !hadStreamData { transmit([], to: &state, now: now, effects: &effects) }
    }

    mutating func handleCookieReply(_ reply: TransportPacket.CookieReply, now: Instant) {
        guard let peerID = indices[reply.receiverIndex], let handshake = peers[peerID]?.handshake,
            handshake.localIndex == reply.receiverIndex, let staticKey = peers[peerID]?.staticKey,
            let cookie = CookieMaker.openReply(reply, senderStatic: staticKey, mac1: handshake.mac1)
        else {
            count(.unexpected)
            return
        }
        // The retry timer resends the initiation, now with mac2 (WireGuard waits the same way).
        guard var state = checkOut(peerID) else { return }
        state.cookie = (cookie, now)
        store(consume state)
    }

    /// Makes `session` current; the old current becomes previous, whose own index is retired.
    mutating func install(_ session: Session, in state: inout Peer) {
        retire(.previous, of: &state)
        state.previous = state.current
        state.current = session
    }

    /// Keeps a peer's DH(s, rs) findable by its static key, for the responder side of its next handshakes. Bounded
    /// by twice the peer table; when full it starts over (each entry costs one Diffie-Hellman to recompute).
    mutating func rememberStaticShared(_ state: Peer) {
        guard let shared = state.staticShared else { return }
        if staticSharedByKey.count >= 2 * settings.maxPeers { staticSharedByKey.removeAll() }
        staticSharedByKey[state.staticKey] = shared
    }
}

extension RTTEstimator {
    /// The smoothed RTT to start a rekeyed session with; nil (the default initial RTT) when it is not positive: a
    /// driving clock that stepped back gives samples of zero, and a session cannot start from a zero RTT.
    var carriedRTT: Duration? { smoothedRTT > .zero ? smoothedRTT : nil }
}

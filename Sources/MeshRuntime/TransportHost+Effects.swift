import MeshCore
import MeshTransport

extension TransportHost {
    /// Carries out `effects`, and any that the event handler causes meanwhile, in the order the endpoint produced
    /// them.
    ///
    /// A handler that sends or pings from inside an event gets its effects queued behind the rest of the current
    /// list instead of run in the middle of it: run in the middle, an older `wake` later in the list would replace
    /// the newer deadline.
    ///
    /// Datagrams go into the sockets' send batches; outside `run()`, no loop iteration would send those, so they are
    /// sent before this returns.
    func carryOut(_ effects: consuming [EndpointEffect]) {
        var effects = effects
        carryOut(&effects)
    }

    /// `carryOut`, taking the effects out of `effects` one by one (each moved, not copied, so that a buffer given
    /// back to the endpoint is not still held by the list) and leaving it empty with its capacity.
    func carryOut(_ effects: inout [EndpointEffect]) {
        guard !isCarryingOut else {
            pendingEffects.append(contentsOf: effects)
            effects.removeAll(keepingCapacity: true)
            return
        }
        isCarryingOut = true
        defer { isCarryingOut = false }
        performInOrder(&effects)
        while !pendingEffects.isEmpty {
            var queued: [EndpointEffect] = []
            swap(&queued, &pendingEffects)
            performInOrder(&queued)
            if pendingEffects.isEmpty { swap(&queued, &pendingEffects) }  // keeps the capacity
        }
        if !isRunning {
            for socket in sockets { socket.flush() }
        }
    }

    private func performInOrder(_ effects: inout [EndpointEffect]) {
        for index in effects.indices {
            var effect = EndpointEffect.wake(at: inputTime)
            swap(&effect, &effects[index])
            perform(effect)
        }
        effects.removeAll(keepingCapacity: true)
    }

    private func perform(_ effect: EndpointEffect) {
        switch effect {
        case .send(let datagram, let address):
            transmit(datagram, to: address)
            // The socket copied it into its send batch.
            endpoint.recycle(datagram)
        case .wake(let deadline):
            timer?.arm(at: deadline)
        case .deliver(let message, let peer):
            onEvent?(.message(message, from: peer))
            // A handler that kept the message keeps it intact: the endpoint copies a shared buffer before reuse.
            endpoint.recycle(message)
        case .sessionUp(let peer, let address):
            connected.insert(peer)
            onEvent?(.sessionUp(peer: peer, address: address))
        case .sessionDown(let peer, let reason):
            connected.remove(peer)
            onEvent?(.sessionDown(peer: peer, reason: reason))
        case .writable(let peer):
            onEvent?(.writable(peer: peer))
        case .pong(let peer, let rtt):
            onEvent?(.pong(peer: peer, rtt: rtt))
        case .pinged:
            break  // answered by the endpoint; only a node's membership core uses it
        }
    }

    private func transmit(_ datagram: [UInt8], to address: SocketAddress) {
        guard let socket = sockets.first(where: { $0.localAddress.addressFamily == address.addressFamily }) else {
            unsentForLackOfSocket += 1
            return
        }
        // A refusal is counted by the socket, and `unsent` reads it from there.
        _ = datagram.withUnsafeBytes { socket.send($0, to: address) }
    }
}

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
    func carryOut(_ effects: [EndpointEffect]) {
        pendingEffects.append(contentsOf: effects)
        guard !isCarryingOut else { return }
        isCarryingOut = true
        defer { isCarryingOut = false }
        var next = 0
        while next < pendingEffects.count {
            let effect = pendingEffects[next]
            // The list lets go of the effect's buffer, so that the one given back to the endpoint is not shared.
            pendingEffects[next] = .wake(at: inputTime)
            next += 1
            perform(effect)
        }
        pendingEffects.removeAll(keepingCapacity: true)
        if !isRunning {
            for socket in sockets { socket.flush() }
        }
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

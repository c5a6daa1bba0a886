public import MeshCore

/// A client connection of the control socket, numbered by the shell.
public struct ControlConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The shell's number for it.
    public var value: UInt64
    /// The connection numbered `value`.
    public init(_ value: UInt64) { self.value = value }
    /// Orders connections by number.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
    /// `#value`.
    public var description: String { "#\(value)" }
}

/// What the control server asks its shell to do, in order.
public enum ControlEffect: Equatable, Sendable {
    /// Write these bytes (one or more whole lines) to the connection.
    case write(ControlConnectionID, [UInt8])
    /// Close the connection once what was written before has gone out; `reason` is for the log.
    case close(ControlConnectionID, reason: String)
    /// Close the connection now, discarding what it has not read (a client that stopped reading keeps no buffers).
    case drop(ControlConnectionID, reason: String)
    /// Call `timerFired` at this instant (a waiting `events.poll` times out).
    case wake(at: Instant)
}

/// Limits of the control server (`Specs/control-api.md`, "Limits").
public struct ControlServerSettings: Sendable, Equatable {
    /// The longest request line; a longer one is answered with an error and skipped up to its newline.
    public var maxLineBytes = 1 << 20
    /// Connections served at once; one more is told so and closed.
    public var maxConnections = 64
    /// Bytes written to a connection and not yet taken by it; a client that lets more pile up (by not reading its
    /// responses) is disconnected.
    public var maxQueuedBytes = 8 << 20
    /// Above this many queued bytes, events stop going to a subscriber until it has read; it then resumes from its
    /// cursor (with a gap marker if the ring moved past it). The node never waits for it.
    public var subscriberHighWater = 1 << 20
    /// Events written to a catching-up subscriber per step.
    public var eventBatch = 256
    /// The longest an `events.poll` may wait.
    public var maxPollTimeout = Duration.seconds(60)
    /// The most events one `events.poll` returns.
    public var maxPollLimit = 1000
    /// The most requests in one batch.
    public var maxBatch = 100
    /// How many events the ring keeps.
    public var eventCapacity = 4096

    /// The defaults.
    public init() {}
}

/// Counts for metrics.
public struct ControlCounters: Sendable, Equatable {
    /// Connections accepted.
    public var connectionsAccepted = 0
    /// Connections refused at the limit.
    public var connectionsRefused = 0
    /// Connections closed by the server because the client did not read.
    public var slowClientsDropped = 0
    /// Requests handled (each request of a batch counts).
    public var requests = 0
    /// Requests answered with an error.
    public var errors = 0
    /// Gap markers sent (readers that missed events).
    public var gaps = 0
    /// All zero.
    public init() {}
}

/// The control socket's protocol core: newline-delimited JSON-RPC 2.0 framing, request checks, the event stream
/// (`events.subscribe`, `events.poll`) over a bounded ring, and backpressure. Pure: the shell passes bytes, write
/// completions and `now` in, and carries out `ControlEffect`s. Methods other than `events.*` go to the caller's
/// `dispatch` closure, which acts on the node.
public struct ControlServer: Sendable {
    /// The limits.
    public let settings: ControlServerSettings
    /// The event ring.
    public private(set) var log: EventLog
    /// Counts for metrics.
    public private(set) var counters = ControlCounters()
    private var connections: [ControlConnectionID: Connection] = [:]
    private var nextSubscription = 1

    private struct Subscription {
        var id: Int
        var cursor: UInt64
        var filter: EventTypeFilter
    }

    private struct Poll {
        var requestID: JSONValue
        var cursor: UInt64
        var filter: EventTypeFilter
        var limit: Int
        var deadline: Instant
        var restarted: Bool
    }

    private struct Connection {
        var buffer: [UInt8] = []
        /// Skipping the rest of a line that was too long.
        var discarding = false
        var queued = 0
        var subscription: Subscription?
        var poll: Poll?
        var closing = false
        /// Events stopped going to this subscriber at the high-water mark; they resume once it has read.
        var heldBack = false
        /// The client has sent all it will (it half-closed): it is closed once nothing more is due to it.
        var inputEnded = false
    }

    /// A server whose event ring belongs to the boot `bootID`.
    public init(bootID: String, settings: ControlServerSettings = ControlServerSettings()) {
        self.settings = settings
        log = EventLog(bootID: bootID, capacity: settings.eventCapacity)
    }

    /// Connections open now.
    public var connectionCount: Int { connections.count }
    /// Connections with an event subscription.
    public var subscriberCount: Int { connections.values.reduce(0) { $0 + ($1.subscription == nil ? 0 : 1) } }

    /// The earliest poll deadline, if a poll waits.
    public var nextDeadline: Instant? { connections.values.compactMap(\.poll?.deadline).min() }

    // MARK: Inputs

    /// A client connected (its credentials already checked by the shell).
    public mutating func accepted(_ id: ControlConnectionID) -> [ControlEffect] {
        guard connections.count < settings.maxConnections else {
            counters.connectionsRefused += 1
            let error = RPCError.limit("the node serves at most \(settings.maxConnections) control connections at once")
            return [.write(id, line(RPCMessage.error(error, id: .null))), .close(id, reason: "connection limit")]
        }
        counters.connectionsAccepted += 1
        connections[id] = Connection()
        return []
    }

    /// The connection ended (closed by either side); its subscription and poll go with it.
    public mutating func closed(_ id: ControlConnectionID) {
        connections[id] = nil
    }

    /// The client sent all it will send (end of file on its side). With nothing more due to it, it is closed (after
    /// what was written); a waiting poll is answered first, and a subscriber keeps its stream until it goes away.
    public mutating func inputEnded(_ id: ControlConnectionID) -> [ControlEffect] {
        guard var connection = connections[id] else { return [] }
        connection.inputEnded = true
        connections[id] = connection
        guard connection.poll == nil, connection.subscription == nil else { return [] }
        return [.close(id, reason: "the client finished sending")]
    }

    /// The shell finished writing `count` bytes to the connection: a subscriber held back catches up.
    public mutating func wrote(_ count: Int, to id: ControlConnectionID) -> [ControlEffect] {
        guard var connection = connections[id] else { return [] }
        connection.queued = max(0, connection.queued - count)
        connections[id] = connection
        var effects: [ControlEffect] = []
        if connection.queued <= settings.subscriberHighWater / 2 { feed(id, effects: &effects) }
        return account(effects)  // the catch-up is queued like any other write
    }

    /// Bytes read from the connection: every complete line is a request (or a batch) and is answered in order.
    /// `dispatch` handles methods outside `events.*`.
    public mutating func received(
        _ bytes: some Collection<UInt8>, from id: ControlConnectionID, now: Instant,
        dispatch: (RPCRequest) -> Result<JSONValue, RPCError>
    ) -> [ControlEffect] {
        guard var connection = connections[id], !connection.closing else { return [] }
        var effects: [ControlEffect] = []
        // Complete lines in order; nil stands for one that was too long (answered with an error in its place).
        var lines: [[UInt8]?] = []
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            let piece = rest[..<newline]
            rest = rest[rest.index(after: newline)...]
            if connection.discarding {
                connection.discarding = false  // the end of a line already answered as too long
                continue
            }
            if connection.buffer.count + piece.count > settings.maxLineBytes {
                connection.buffer.removeAll(keepingCapacity: false)
                lines.append(nil)
                continue
            }
            connection.buffer.append(contentsOf: piece)
            lines.append(connection.buffer)
            connection.buffer.removeAll(keepingCapacity: true)
        }
        var startedDiscarding = false
        if !connection.discarding {
            if connection.buffer.count + rest.count > settings.maxLineBytes {
                // Answered now rather than at its newline, which may never come; the rest of it is skipped.
                connection.buffer.removeAll(keepingCapacity: false)
                connection.discarding = true
                startedDiscarding = true
            } else {
                connection.buffer.append(contentsOf: rest)
            }
        }
        connections[id] = connection
        for text in lines {
            var answers: [ControlEffect] = []
            if let text {
                handleLine(text, from: id, now: now, dispatch: dispatch, effects: &answers)
            } else {
                counters.errors += 1
                answers.append(.write(id, line(RPCMessage.error(tooLong, id: .null))))
            }
            // Accounted line by line, so that a line whose answer overflows the queue is the last one carried out.
            effects += account(answers)
            guard connections[id] != nil, connections[id]?.closing == false else { break }
        }
        if startedDiscarding {
            counters.errors += 1
            effects += account([.write(id, line(RPCMessage.error(tooLong, id: .null)))])
        }
        return effects
    }

    /// Appends an event to the ring and sends it to subscribers and waiting polls that want it.
    @discardableResult
    public mutating func record(type: String, data: JSONValue, now: Instant) -> [ControlEffect] {
        log.append(type: type, data: data, time: now)
        var effects: [ControlEffect] = []
        for id in connections.keys.sorted() {
            // A subscriber held back waits until its queue drains to half the high-water mark (`wrote`), not
            // merely below it: otherwise every new event would send it a little more and keep it at the limit.
            if connections[id]?.heldBack != true { feed(id, effects: &effects) }
            answerPoll(id, now: now, timedOut: false, effects: &effects)
        }
        return account(effects)
    }

    /// Answers the polls whose wait is over.
    public mutating func timerFired(now: Instant) -> [ControlEffect] {
        var effects: [ControlEffect] = []
        for id in connections.keys.sorted() where connections[id]?.poll.map({ $0.deadline <= now }) == true {
            answerPoll(id, now: now, timedOut: true, effects: &effects)
        }
        if let deadline = nextDeadline { effects.append(.wake(at: deadline)) }
        return account(effects)
    }

    // MARK: Requests

    private var tooLong: RPCError {
        .invalidRequest(
            "the request line is longer than \(settings.maxLineBytes) bytes; it was skipped up to its newline")
    }

    private mutating func handleLine(
        _ text: [UInt8], from id: ControlConnectionID, now: Instant,
        dispatch: (RPCRequest) -> Result<JSONValue, RPCError>, effects: inout [ControlEffect]
    ) {
        var bytes = text[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard bytes.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            counters.errors += 1
            effects.append(.write(id, line(RPCMessage.error(.parseError("\(error)"), id: .null))))
            return
        }
        if case .array(let batch) = value {
            guard !batch.isEmpty else {
                counters.errors += 1
                effects.append(.write(id, line(RPCMessage.error(.invalidRequest("an empty batch"), id: .null))))
                return
            }
            guard batch.count <= settings.maxBatch else {
                counters.errors += 1
                let error = RPCError.invalidRequest("a batch holds at most \(settings.maxBatch) requests")
                effects.append(.write(id, line(RPCMessage.error(error, id: .null))))
                return
            }
            var answers: [JSONValue] = []
            var after: [ControlEffect] = []
            // One batch's answer is one line; past half the queue limit, the rest of the batch is refused rather
            // than built (a hundred large polls would make a line the client could never be sent).
            var answerBytes = 0
            for entry in batch {
                if answerBytes > settings.maxQueuedBytes / 2 {
                    counters.requests += 1
                    counters.errors += 1
                    let error = RPCError.limit(
                        "the batch's answer passed \(settings.maxQueuedBytes / 2) bytes; send the rest again, or alone")
                    answers.append(RPCMessage.error(error, id: entry["id"] ?? .null))
                    continue
                }
                if let answer = handle(entry, from: id, now: now, inBatch: true, dispatch: dispatch, after: &after) {
                    answerBytes += answer.encoded.count
                    answers.append(answer)
                }
            }
            if !answers.isEmpty { effects.append(.write(id, line(.array(answers)))) }
            effects += after
        } else {
            var after: [ControlEffect] = []
            if let answer = handle(value, from: id, now: now, inBatch: false, dispatch: dispatch, after: &after) {
                effects.append(.write(id, line(answer)))
            }
            effects += after
        }
    }

    /// The answer to one request (nil for a notification or a poll that waits); `after` gets writes that must follow
    /// the answer (a subscription's replay).
    private mutating func handle(
        _ value: JSONValue, from id: ControlConnectionID, now: Instant, inBatch: Bool,
        dispatch: (RPCRequest) -> Result<JSONValue, RPCError>, after: inout [ControlEffect]
    ) -> JSONValue? {
        counters.requests += 1
        let request: RPCRequest
        do {
            request = try RPCRequest(checking: value)
        } catch {
            counters.errors += 1
            return RPCMessage.error(error.error, id: error.id)
        }
        let result: Result<JSONValue, RPCError>
        switch request.method {
        case "events.subscribe":
            result = subscribe(request.params, on: id)
            if case .success = result { feed(id, effects: &after) }
        case "events.unsubscribe":
            if let bad = request.params.flatMap(unknownMember(allowed: [])) {
                result = .failure(bad)
                break
            }
            if case .array? = request.params {
                result = .failure(.invalidParams("events.unsubscribe takes no params"))
                break
            }
            let had = connections[id]?.subscription != nil
            connections[id]?.subscription = nil
            result = .success(["unsubscribed": .bool(had)])
        case "events.poll":
            switch poll(request, on: id, now: now, inBatch: inBatch) {
            case .success(let answer?): result = .success(answer)
            case .success(nil):
                // Answered when an event comes or the wait ends; a notification poll waits for nothing.
                if let deadline = nextDeadline { after.append(.wake(at: deadline)) }
                return nil
            case .failure(let error): result = .failure(error)
            }
        default:
            result = dispatch(request)
        }
        guard let requestID = request.id else { return nil }  // a notification gets no answer, even an error
        switch result {
        case .success(let value):
            return RPCMessage.result(value, id: requestID)
        case .failure(let error):
            counters.errors += 1
            return RPCMessage.error(error, id: requestID)
        }
    }

    // MARK: Events

    /// Where a reader starts: its `since` and `boot_id` params checked against the ring.
    private func cursor(
        _ params: JSONValue?, required: Bool
    ) -> Result<(cursor: UInt64, restarted: Bool), RPCError> {
        var restarted = false
        if let boot = params?["boot_id"], boot != .null {
            guard case .string(let text) = boot else {
                return .failure(.invalidParams("\"boot_id\" must be a string, not \(boot.typeName)"))
            }
            restarted = text != log.bootID
        }
        let since: UInt64
        switch params?["since"] {
        case nil, .null?:
            if required { return .failure(.invalidParams("\"since\" is required: the last event id you saw, or 0")) }
            since = log.lastID
        case .int(let value)?:
            guard value >= 0 else { return .failure(.invalidParams("\"since\" must be 0 or more, not \(value)")) }
            since = UInt64(value)
        case let other?:
            return .failure(.invalidParams("\"since\" must be an integer event id, not \(other.typeName)"))
        }
        // A cursor from an earlier boot means nothing in this one: start from the oldest event kept.
        if restarted { return .success((0, true)) }
        guard since <= log.lastID else {
            return .failure(
                .invalidParams(
                    "\"since\" \(since) is ahead of the newest event \(log.lastID) of boot \(log.bootID); "
                        + "pass the boot_id you read it under to resume across a restart"))
        }
        return .success((since, false))
    }

    private mutating func subscribe(_ params: JSONValue?, on id: ControlConnectionID) -> Result<JSONValue, RPCError> {
        if let params, case .array = params { return .failure(.invalidParams("events.subscribe takes named params")) }
        if let bad = params.flatMap(unknownMember(allowed: ["since", "boot_id", "types"])) { return .failure(bad) }
        let start: (cursor: UInt64, restarted: Bool)
        switch cursor(params, required: false) {
        case .success(let value): start = value
        case .failure(let error): return .failure(error)
        }
        let filter: EventTypeFilter
        do { filter = try EventTypeFilter(param: params?["types"]) } catch { return .failure(error) }
        let number = connections[id]?.subscription?.id ?? nextSubscription
        if number == nextSubscription { nextSubscription += 1 }
        connections[id]?.subscription = Subscription(id: number, cursor: start.cursor, filter: filter)
        return .success([
            "subscription": .integer(number), "boot_id": .string(log.bootID), "last_id": .integer(log.lastID),
            "oldest_id": .integer(log.oldestID), "restarted": .bool(start.restarted),
        ])
    }

    private mutating func poll(
        _ request: RPCRequest, on id: ControlConnectionID, now: Instant, inBatch: Bool
    ) -> Result<JSONValue?, RPCError> {
        let params = request.params
        if let params, case .array = params { return .failure(.invalidParams("events.poll takes named params")) }
        if let bad = params.flatMap(unknownMember(allowed: ["since", "boot_id", "types", "limit", "timeout_ms"])) {
            return .failure(bad)
        }
        let start: (cursor: UInt64, restarted: Bool)
        switch cursor(params, required: true) {
        case .success(let value): start = value
        case .failure(let error): return .failure(error)
        }
        let filter: EventTypeFilter
        do { filter = try EventTypeFilter(param: params?["types"]) } catch { return .failure(error) }
        var limit = 100
        switch params?["limit"] {
        case nil, .null?: break
        case .int(let value)? where (1...Int64(settings.maxPollLimit)).contains(value): limit = Int(value)
        case let other?:
            return .failure(
                .invalidParams(
                    "\"limit\" must be an integer from 1 to \(settings.maxPollLimit), not \(String(decoding: other.encoded, as: UTF8.self))"
                ))
        }
        var timeout = Duration.seconds(30)
        let maxMillis = settings.maxPollTimeout.nanoseconds / 1_000_000
        switch params?["timeout_ms"] {
        case nil, .null?: break
        case .int(let value)? where (0...maxMillis).contains(value): timeout = .milliseconds(value)
        case let other?:
            return .failure(
                .invalidParams(
                    "\"timeout_ms\" must be an integer from 0 to \(maxMillis), not \(String(decoding: other.encoded, as: UTF8.self))"
                ))
        }
        let read = log.read(after: start.cursor, filter: filter, limit: limit)
        if !read.events.isEmpty || read.missed != nil || timeout == .zero || inBatch || read.cursor < log.lastID {
            return .success(pollAnswer(read, restarted: start.restarted, now: now))
        }
        guard connections[id]?.poll == nil else {
            return .failure(.limit("an events.poll is already waiting on this connection; wait for it or use another"))
        }
        guard let requestID = request.id else { return .success(nil) }  // a notification poll: nothing to answer
        connections[id]?.poll = Poll(
            requestID: requestID, cursor: read.cursor, filter: filter, limit: limit, deadline: now + timeout,
            restarted: start.restarted)
        return .success(nil)
    }

    private mutating func pollAnswer(_ read: EventLog.Read, restarted: Bool, now: Instant) -> JSONValue {
        var events: [JSONValue] = []
        if let missed = read.missed {
            counters.gaps += 1
            events.append(
                ControlEvent.gap(
                    from: missed.lowerBound, to: missed.upperBound, reason: "ring_overflow", bootID: log.bootID,
                    time: log.event(log.oldestID)?.time ?? now))
        }
        events += read.events.map { $0.json(bootID: log.bootID) }
        return [
            "boot_id": .string(log.bootID), "events": .array(events), "next": .integer(read.cursor),
            "restarted": .bool(restarted),
        ]
    }

    /// Answers the connection's waiting poll if events arrived for it, or with none if `timedOut`.
    private mutating func answerPoll(
        _ id: ControlConnectionID, now: Instant, timedOut: Bool, effects: inout [ControlEffect]
    ) {
        guard let poll = connections[id]?.poll else { return }
        let read = log.read(after: poll.cursor, filter: poll.filter, limit: poll.limit)
        guard timedOut || !read.events.isEmpty || read.missed != nil else {
            connections[id]?.poll?.cursor = read.cursor
            return
        }
        connections[id]?.poll = nil
        let answer = RPCMessage.result(pollAnswer(read, restarted: poll.restarted, now: now), id: poll.requestID)
        effects.append(.write(id, line(answer)))
        if connections[id]?.inputEnded == true, connections[id]?.subscription == nil {
            effects.append(.close(id, reason: "the client finished sending"))
        }
    }

    /// Writes the subscriber's next events while its queue has room.
    private mutating func feed(_ id: ControlConnectionID, effects: inout [ControlEffect]) {
        guard var connection = connections[id], var subscription = connection.subscription, !connection.closing
        else { return }
        // Bytes already in `effects` for this connection count as queued: `account` adds them only later.
        var queued = connection.queued
        for case .write(let target, let bytes) in effects where target == id { queued += bytes.count }
        while queued <= settings.subscriberHighWater, subscription.cursor < log.lastID {
            let read = log.read(after: subscription.cursor, filter: subscription.filter, limit: settings.eventBatch)
            subscription.cursor = read.cursor
            var text: [UInt8] = []
            if let missed = read.missed {
                counters.gaps += 1
                let gap = ControlEvent.gap(
                    from: missed.lowerBound, to: missed.upperBound, reason: "ring_overflow", bootID: log.bootID,
                    time: log.event(log.oldestID)?.time ?? .epoch)
                text += line(notification(gap, subscription: subscription.id))
            }
            for event in read.events {
                text += line(notification(event.json(bootID: log.bootID), subscription: subscription.id))
            }
            if !text.isEmpty {
                queued += text.count
                effects.append(.write(id, text))
            }
        }
        connection.subscription = subscription
        connection.heldBack = subscription.cursor < log.lastID
        connections[id] = connection
    }

    private func notification(_ event: JSONValue, subscription: Int) -> JSONValue {
        RPCMessage.notification("events.event", params: ["subscription": .integer(subscription), "event": event])
    }

    // MARK: Helpers

    /// Adds written bytes to each connection's queue; a connection past `maxQueuedBytes` is closed.
    private mutating func account(_ effects: [ControlEffect]) -> [ControlEffect] {
        var output: [ControlEffect] = []
        output.reserveCapacity(effects.count)
        for effect in effects {
            guard case .write(let id, let bytes) = effect else {
                output.append(effect)
                continue
            }
            guard var connection = connections[id] else {
                output.append(effect)  // a refused connection's one line
                continue
            }
            if connection.closing { continue }
            connection.queued += bytes.count
            if connection.queued > settings.maxQueuedBytes {
                connection.closing = true
                connection.subscription = nil
                connection.poll = nil
                counters.slowClientsDropped += 1
                connections[id] = connection
                output.append(.drop(id, reason: "the client left more than \(settings.maxQueuedBytes) bytes unread"))
                continue
            }
            connections[id] = connection
            output.append(effect)
        }
        return output
    }

    private func line(_ value: JSONValue) -> [UInt8] {
        var bytes = value.encoded
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private func unknownMember(allowed: Set<String>) -> (JSONValue) -> RPCError? {
        { params in
            guard case .object(let members) = params else { return nil }
            guard let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) else { return nil }
            let takes =
                allowed.isEmpty
                ? "this method takes no params" : "this method takes " + allowed.sorted().joined(separator: ", ")
            return .invalidParams("unknown param \"\(unknown)\"; \(takes)")
        }
    }
}

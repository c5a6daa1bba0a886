import MeshCore
import Testing

@testable import MeshControl

// MARK: Harness

/// The first instant of every scenario.
private let t0 = Instant(nanosecondsSinceEpoch: 1_795_219_200_000_000_000)

/// Connections by number.
private let first = ControlConnectionID(1)
private let second = ControlConnectionID(2)

/// The methods outside `events.*` the tests serve: `t.echo` answers with its params, anything else is unknown.
private func echo(_ request: RPCRequest) -> Result<JSONValue, RPCError> {
    request.method == "t.echo" ? .success(request.params ?? .null) : .failure(.methodNotFound(request.method))
}

/// A request's JSON text for `method`, with `id` unless nil (a notification) and `params` if given.
private func body(_ method: String, id: JSONValue? = 1, params: JSONValue? = nil) -> String {
    var members: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
    if let id { members["id"] = id }
    if let params { members["params"] = params }
    return String(decoding: JSONValue.object(members).encoded, as: UTF8.self)
}

/// A request line: `body` and a newline.
private func request(_ method: String, id: JSONValue? = 1, params: JSONValue? = nil) -> String {
    body(method, id: id, params: params) + "\n"
}

/// Every line written to `connection` in `effects`, parsed back (each write must be whole lines).
private func lines(_ effects: [ControlEffect], to connection: ControlConnectionID = first) throws -> [JSONValue] {
    var values: [JSONValue] = []
    for case .write(let target, let bytes) in effects where target == connection {
        #expect(bytes.last == UInt8(ascii: "\n"), "a write to \(connection) does not end with a newline")
        for line in bytes.split(separator: UInt8(ascii: "\n")) { values.append(try JSONValue(parsing: line)) }
    }
    return values
}

/// The one line written to `connection` in `effects`.
private func onlyLine(_ effects: [ControlEffect], to connection: ControlConnectionID = first) throws -> JSONValue {
    let values = try lines(effects, to: connection)
    try #require(values.count == 1, "expected one line to \(connection), got \(values.count)")
    return values[0]
}

/// The bytes written to `connection` in `effects`.
private func written(_ effects: [ControlEffect], to connection: ControlConnectionID = first) -> Int {
    var count = 0
    for case .write(let target, let bytes) in effects where target == connection { count += bytes.count }
    return count
}

/// Whether `effects` close `connection` (after its writes, or at once).
private func closes(_ effects: [ControlEffect], _ connection: ControlConnectionID = first) -> Bool {
    effects.contains {
        switch $0 {
        case .close(let target, _), .drop(let target, _): target == connection
        default: false
        }
    }
}

/// Whether `effects` drop `connection` at once.
private func drops(_ effects: [ControlEffect], _ connection: ControlConnectionID = first) -> Bool {
    effects.contains { if case .drop(let target, _) = $0 { target == connection } else { false } }
}

/// `effects` in brief, for expectations: a failure then shows byte counts rather than the bytes.
private func summary(_ effects: [ControlEffect]) -> [String] {
    effects.map {
        switch $0 {
        case .write(let connection, let bytes): "write \(connection) \(bytes.count) bytes"
        case .close(let connection, let reason): "close \(connection): \(reason)"
        case .drop(let connection, let reason): "drop \(connection): \(reason)"
        case .wake(let at): "wake at \(at)"
        }
    }
}

/// The `.wake` instants in `effects`.
private func wakes(_ effects: [ControlEffect]) -> [Instant] {
    effects.compactMap { if case .wake(let at) = $0 { at } else { nil } }
}

/// The error code of a response, nil for a success.
private func code(_ response: JSONValue) -> Int64? {
    if case .int(let code)? = response["error"]?["code"] { return code }
    return nil
}

/// The error message of a response, "" for a success.
private func message(_ response: JSONValue) -> String {
    if case .string(let text)? = response["error"]?["message"] { return text }
    return ""
}

/// The ids of the events in an `events.poll` result, nil standing for a gap marker.
private func eventIDs(_ response: JSONValue) -> [Int64?] {
    guard case .array(let events)? = response["result"]?["events"] else { return [] }
    return events.map { if case .int(let id)? = $0["id"] { id } else { nil } }
}

/// The event ids in `events.event` notifications (nil for a gap marker), in order.
private func notifiedIDs(_ messages: [JSONValue]) -> [Int64?] {
    messages.filter { $0["method"] == "events.event" }.map {
        if case .int(let id)? = $0["params"]?["event"]?["id"] { id } else { nil }
    }
}

/// A control server with one scenario's clock, driven the way the shell drives it.
private struct Harness {
    var server: ControlServer
    var now = t0
    /// Requests `echo` was called with, for counting what reached the dispatch closure.
    var dispatched: [String] = []

    init(settings: ControlServerSettings = ControlServerSettings(), connections: UInt64 = 1) {
        server = ControlServer(bootID: "boot-a", settings: settings)
        for number in 1...connections { #expect(summary(server.accepted(ControlConnectionID(number))) == []) }
    }

    /// Bytes from `connection`.
    mutating func receive(_ text: String, on connection: ControlConnectionID = first) -> [ControlEffect] {
        receive(Array(text.utf8), on: connection)
    }

    /// Bytes from `connection`.
    mutating func receive(_ bytes: [UInt8], on connection: ControlConnectionID = first) -> [ControlEffect] {
        var calls: [String] = []
        let effects = server.received(bytes, from: connection, now: now) { request in
            calls.append(request.method)
            return echo(request)
        }
        dispatched += calls
        return effects
    }

    /// One request's one answer.
    mutating func call(
        _ method: String, id: JSONValue = 1, params: JSONValue? = nil, on connection: ControlConnectionID = first
    ) throws -> JSONValue {
        try onlyLine(receive(request(method, id: id, params: params), on: connection), to: connection)
    }

    /// Records an event of `type` now.
    @discardableResult
    mutating func record(_ type: String, data: JSONValue = [:]) -> [ControlEffect] {
        server.record(type: type, data: data, now: now)
    }

    /// Records events `t1`, `t2`, … (`count` of them).
    mutating func recordMany(_ count: Int) {
        for index in 1...count { record("t\(index)") }
    }
}

/// Settings with small limits for one scenario.
private func settings(_ change: (inout ControlServerSettings) -> Void) -> ControlServerSettings {
    var settings = ControlServerSettings()
    change(&settings)
    return settings
}

// MARK: Framing and requests

@Suite("Control server: framing and JSON-RPC requests")
struct ControlServerRequestTests {
    @Test func severalRequestsInOneReadAreAnsweredInOrder() throws {
        var harness = Harness()
        let text = request("t.echo", id: 1) + request("t.echo", id: 2) + request("t.echo", id: 3)
        let answers = try lines(harness.receive(text))
        #expect(answers.map { $0["id"] } == [1, 2, 3])
        #expect(answers.allSatisfy { $0["jsonrpc"] == "2.0" && $0["result"] == .null })
    }

    @Test func aRequestSplitAcrossReadsIsAnsweredWhenItsNewlineArrives() throws {
        var harness = Harness()
        let bytes = Array(request("t.echo", id: 9, params: ["a": 1]).utf8)
        #expect(summary(harness.receive(Array(bytes[..<10]))) == [])
        #expect(summary(harness.receive(Array(bytes[10..<(bytes.count - 1)]))) == [])
        let answer = try onlyLine(harness.receive([UInt8(ascii: "\n")]))
        #expect(answer["id"] == 9)
        #expect(answer["result"] == ["a": 1])
    }

    @Test func aRequestFedByteByByteIsAnsweredOnce() throws {
        var harness = Harness()
        var effects: [ControlEffect] = []
        for byte in request("t.echo", id: 4).utf8 { effects += harness.receive([byte]) }
        #expect(try lines(effects).map { $0["id"] } == [4])
    }

    @Test func crlfLineEndingsAreAccepted() throws {
        var harness = Harness()
        let text = body("t.echo", id: 1) + "\r\n" + body("t.echo", id: 2) + "\r\n"
        let answers = try lines(harness.receive(text))
        #expect(answers.map { $0["id"] } == [1, 2])
        #expect(answers.allSatisfy { code($0) == nil })
    }

    @Test func blankLinesAreIgnored() throws {
        var harness = Harness()
        #expect(summary(harness.receive("\n\r\n   \n\t \r\n\n")) == [])
        #expect(harness.server.counters.requests == 0)
        let answers = try lines(harness.receive("\n" + request("t.echo", id: 5) + "\n"))
        #expect(answers.map { $0["id"] } == [5])
    }

    @Test func textThatIsNotJSONIsAParseErrorWithIdNull() throws {
        var harness = Harness()
        let answer = try onlyLine(harness.receive("{\"jsonrpc\": \"2.0\", \"id\": 1, \n"))
        #expect(code(answer) == -32700)
        #expect(answer["id"] == .null)
        #expect(message(answer).hasPrefix("parse error"))
        #expect(harness.server.counters.errors == 1)
        #expect(try harness.call("t.echo", id: 2)["id"] == 2, "the connection keeps working")
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let text: String
        /// The id the error answers.
        let id: JSONValue
        /// A fragment of the message that names what was wrong.
        let names: String
        var testDescription: String { text }
    }

    static let invalidRequests: [InvalidCase] = [
        InvalidCase(text: "1", id: .null, names: "JSON object"),
        InvalidCase(text: "\"events.poll\"", id: .null, names: "JSON object"),
        InvalidCase(text: "null", id: .null, names: "JSON object"),
        InvalidCase(text: #"{"jsonrpc":"1.0","id":7,"method":"t.echo"}"#, id: 7, names: "jsonrpc"),
        InvalidCase(text: #"{"id":7,"method":"t.echo"}"#, id: 7, names: "jsonrpc"),
        InvalidCase(text: #"{"jsonrpc":2,"id":"x","method":"t.echo"}"#, id: "x", names: "jsonrpc"),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":{"a":1},"method":"t.echo"}"#, id: .null, names: "\"id\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":[1],"method":"t.echo"}"#, id: .null, names: "\"id\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":true,"method":"t.echo"}"#, id: .null, names: "\"id\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":7}"#, id: 7, names: "\"method\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":7,"method":5}"#, id: 7, names: "\"method\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":7,"method":"t.echo","params":"a"}"#, id: 7, names: "\"params\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":7,"method":"t.echo","params":3}"#, id: 7, names: "\"params\""),
        InvalidCase(text: #"{"jsonrpc":"2.0","id":7,"method":"t.echo","extra":1}"#, id: 7, names: "\"extra\""),
    ]

    @Test(arguments: ControlServerRequestTests.invalidRequests)
    func invalidRequestsAreRefusedNamingWhatIsWrong(_ invalid: InvalidCase) throws {
        var harness = Harness()
        let answer = try onlyLine(harness.receive(invalid.text + "\n"))
        #expect(code(answer) == -32600)
        #expect(answer["id"] == invalid.id)
        #expect(message(answer).contains(invalid.names), "\(message(answer))")
        #expect(harness.dispatched.isEmpty)
    }

    @Test func anUnknownMethodIsMethodNotFound() throws {
        var harness = Harness()
        let answer = try harness.call("no.such", id: "q")
        #expect(code(answer) == -32601)
        #expect(answer["id"] == "q")
        #expect(message(answer).contains("no.such"))
        #expect(harness.dispatched == ["no.such"])
        #expect(harness.server.counters.requests == 1)
        #expect(harness.server.counters.errors == 1)
    }

    @Test(arguments: [JSONValue.string("abc"), .int(-3), .double(1.5), .null])
    func everyAllowedIdIsEchoedAsGiven(_ id: JSONValue) throws {
        var harness = Harness()
        let answer = try harness.call("t.echo", id: id)
        #expect(answer["id"] == id)
        #expect(code(answer) == nil)
    }

    @Test func notificationsAreHandledButNotAnswered() {
        var harness = Harness()
        #expect(summary(harness.receive(request("t.echo", id: nil) + request("no.such", id: nil))) == [])
        #expect(harness.dispatched == ["t.echo", "no.such"])
    }

    @Test func aBatchIsAnsweredWithOneArrayLineLeavingOutNotifications() throws {
        var harness = Harness()
        let batch =
            "[\(body("t.echo", id: 1, params: ["n": 1])),\(body("t.echo", id: nil)),42,\(body("no.such", id: 3))]\n"
        let effects = harness.receive(batch)
        #expect(effects.count == 1)
        guard case .array(let answers) = try onlyLine(effects) else {
            Issue.record("a batch is answered with an array")
            return
        }
        #expect(answers.map { $0["id"] } == [1, .null, 3])
        #expect(answers[0]["result"] == ["n": 1])
        #expect(code(answers[1]) == -32600)
        #expect(code(answers[2]) == -32601)
        #expect(harness.dispatched == ["t.echo", "t.echo", "no.such"])
        #expect(harness.server.counters.requests == 4)
    }

    @Test func aBatchOfNotificationsIsNotAnswered() {
        var harness = Harness()
        let batch = "[\(body("t.echo", id: nil)),\(body("t.echo", id: nil))]\n"
        #expect(summary(harness.receive(batch)) == [])
        #expect(harness.dispatched.count == 2)
    }

    @Test func anEmptyBatchIsOneInvalidRequestError() throws {
        var harness = Harness()
        let answer = try onlyLine(harness.receive("[]\n"))
        #expect(code(answer) == -32600)
        #expect(answer["id"] == .null)
    }

    @Test func aBatchOverMaxBatchIsRefusedWhole() throws {
        var harness = Harness(settings: settings { $0.maxBatch = 2 })
        let entries = (1...3).map { body("t.echo", id: .integer($0)) }
        let answer = try onlyLine(harness.receive("[" + entries.joined(separator: ",") + "]\n"))
        #expect(code(answer) == -32600)
        #expect(message(answer).contains("at most 2"))
        #expect(harness.dispatched.isEmpty)
        let two = try onlyLine(harness.receive("[" + entries.prefix(2).joined(separator: ",") + "]\n"))
        #expect(two == [["jsonrpc": "2.0", "id": 1, "result": .null], ["jsonrpc": "2.0", "id": 2, "result": .null]])
    }

    @Test func aLineOverTheLimitEndingInTheSameReadIsRefusedAndTheNextLineServed() throws {
        var harness = Harness(settings: settings { $0.maxLineBytes = 64 })
        let long =
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t.echo\",\"params\":[" + String(repeating: "1,", count: 40)
        let answers = try lines(harness.receive(long + "1]}\n" + request("t.echo", id: 2)))
        try #require(answers.count == 2)
        #expect(code(answers[0]) == -32600)
        #expect(answers[0]["id"] == .null)
        #expect(message(answers[0]).contains("longer than 64 bytes"))
        #expect(answers[1]["id"] == 2)
        #expect(code(answers[1]) == nil)
        #expect(harness.dispatched == ["t.echo"])
    }

    @Test func aLineOverTheLimitSpanningReadsIsRefusedOnceAndSkippedToItsNewline() throws {
        var harness = Harness(settings: settings { $0.maxLineBytes = 64 })
        let chunk = String(repeating: "x", count: 40)
        #expect(summary(harness.receive(chunk)) == [], "40 bytes are within the limit")
        let refusal = try onlyLine(harness.receive(chunk))
        #expect(code(refusal) == -32600)
        #expect(message(refusal).contains("longer than 64 bytes"))
        #expect(summary(harness.receive(String(repeating: "y", count: 200))) == [], "the rest of the line is skipped")
        #expect(summary(harness.receive("{\"id\":")) == [], "even what looks like JSON")
        let answers = try lines(harness.receive("zz\n" + request("t.echo", id: 3)))
        #expect(answers.map { $0["id"] } == [3])
        #expect(answers.allSatisfy { code($0) == nil })
        #expect(harness.server.counters.errors == 1)
    }

    @Test func aLineOfExactlyTheLimitIsServedAndOneByteMoreIsNot() throws {
        var harness = Harness(settings: settings { $0.maxLineBytes = 64 })
        let base = body("t.echo", id: 1)
        let exact = base + String(repeating: " ", count: 64 - base.utf8.count)
        #expect(try lines(harness.receive(exact + "\n")).map { code($0) } == [nil])
        // Split across reads, the limit is the same.
        #expect(summary(harness.receive(String(exact.prefix(30)))) == [])
        #expect(try lines(harness.receive(String(exact.dropFirst(30)) + "\n")).map { code($0) } == [nil])
        #expect(try lines(harness.receive(exact + " \n")).map { code($0) } == [-32600])
        #expect(try lines(harness.receive(exact + "\n")).map { code($0) } == [nil])
    }

    @Test func aConnectionOverTheLimitIsToldSoAndClosed() throws {
        var server = ControlServer(bootID: "b", settings: settings { $0.maxConnections = 2 })
        #expect(summary(server.accepted(first)) == [])
        #expect(summary(server.accepted(second)) == [])
        let third = ControlConnectionID(3)
        let effects = server.accepted(third)
        try #require(effects.count == 2)
        let refusal = try onlyLine(effects, to: third)
        #expect(code(refusal) == -32003)
        #expect(refusal["id"] == .null)
        #expect(closes([effects[1]], third), "the error line goes out before the close")
        #expect(server.connectionCount == 2)
        #expect(server.counters.connectionsAccepted == 2)
        #expect(server.counters.connectionsRefused == 1)
        server.closed(first)
        #expect(summary(server.accepted(ControlConnectionID(4))) == [], "a closed connection frees its place")
    }

    @Test func bytesFromAClosedConnectionAreIgnored() {
        var harness = Harness()
        harness.server.closed(first)
        #expect(summary(harness.receive(request("t.echo"))) == [])
        #expect(harness.dispatched.isEmpty)
        #expect(harness.server.connectionCount == 0)
    }

    @Test func aClientThatDoesNotReadItsAnswersIsDisconnected() throws {
        var harness = Harness(settings: settings { $0.maxQueuedBytes = 200 })
        var effects: [ControlEffect] = []
        for index in 1...10 { effects += harness.receive(request("t.echo", id: .integer(index))) }
        #expect(drops(effects), "dropped at once: what it did not read is discarded")
        let answered = try lines(effects).count
        #expect(answered >= 1 && answered < 10)
        #expect(harness.server.counters.slowClientsDropped == 1)
        #expect(
            summary(harness.receive(request("t.echo", id: 11))) == [], "a closing connection takes no more requests")
    }

    @Test func requestsAfterTheQueueOverflowsInOneReadAreNotCarriedOut() throws {
        var harness = Harness(settings: settings { $0.maxQueuedBytes = 200 })
        let text = (1...10).map { request("t.echo", id: .integer($0)) }.joined()
        let effects = harness.receive(text)
        let answered = try lines(effects).count
        #expect(closes(effects))
        #expect(answered >= 1 && answered < 10)
        #expect(harness.dispatched.count == answered + 1, "the request whose answer overflowed is the last one run")
    }

    @Test func writtenBytesMakeRoomForMoreAnswers() throws {
        var harness = Harness(settings: settings { $0.maxQueuedBytes = 200 })
        for index in 1...10 {
            let effects = harness.receive(request("t.echo", id: .integer(index)))
            #expect(!closes(effects))
            _ = harness.server.wrote(written(effects), to: first)
        }
        #expect(harness.server.counters.slowClientsDropped == 0)
    }
}

// MARK: Event stream

@Suite("Control server: events.subscribe")
struct ControlServerSubscriptionTests {
    @Test func aSubscriberGetsNewEventsAsNotificationsWithRisingIds() throws {
        var harness = Harness()
        harness.record("before")
        let answer = try harness.call("events.subscribe", id: 1)
        #expect(answer["result"]?["subscription"] == 1)
        #expect(answer["result"]?["boot_id"] == "boot-a")
        #expect(answer["result"]?["last_id"] == 1)
        #expect(answer["result"]?["oldest_id"] == 1)
        #expect(answer["result"]?["restarted"] == false)
        var notes: [JSONValue] = []
        for (index, type) in ["neighbor.up", "session.up", "neighbor.down"].enumerated() {
            harness.now += .milliseconds(1500)
            let note = try onlyLine(harness.record(type, data: ["n": .integer(index)]))
            #expect(note["method"] == "events.event")
            #expect(note["id"] == nil, "a notification has no id")
            #expect(note["params"]?["subscription"] == 1)
            #expect(note["params"]?["event"]?["type"] == .string(type))
            #expect(note["params"]?["event"]?["data"] == ["n": .integer(index)])
            #expect(note["params"]?["event"]?["boot_id"] == "boot-a")
            notes.append(note)
        }
        #expect(notifiedIDs(notes) == [2, 3, 4], "events before the subscription are not sent")
        #expect(notes[0]["params"]?["event"]?["time"] == .string(RFC3339.text(t0 + .milliseconds(1500))))
        #expect(harness.server.subscriberCount == 1)
    }

    @Test func eachConnectionHasItsOwnSubscriptionNumberKeptWhenItResubscribes() throws {
        var harness = Harness(connections: 2)
        #expect(try harness.call("events.subscribe", on: first)["result"]?["subscription"] == 1)
        #expect(try harness.call("events.subscribe", on: second)["result"]?["subscription"] == 2)
        #expect(try harness.call("events.subscribe", on: first)["result"]?["subscription"] == 1)
        let effects = harness.record("x")
        #expect(try onlyLine(effects, to: first)["params"]?["subscription"] == 1)
        #expect(try onlyLine(effects, to: second)["params"]?["subscription"] == 2)
    }

    @Test func aTypeFilterPassesNamesAndFamiliesOnly() throws {
        var harness = Harness()
        let answer = try harness.call("events.subscribe", params: ["types": ["neighbor.*", "peer.banned"]])
        #expect(code(answer) == nil)
        var notes: [JSONValue] = []
        for type in ["neighbor.up", "session.up", "peer.banned", "peer.unbanned", "neighbor.down"] {
            notes += try lines(harness.record(type))
        }
        #expect(notifiedIDs(notes) == [1, 3, 5])
    }

    @Test(arguments: [JSONValue.string("neighbor.up"), ["a*b"], [1], ["has space"]])
    func aBadTypeFilterIsInvalidParams(_ types: JSONValue) throws {
        var harness = Harness()
        let answer = try harness.call("events.subscribe", params: ["types": types])
        #expect(code(answer) == -32602)
        #expect(harness.server.subscriberCount == 0)
    }

    @Test func subscribingSinceZeroReplaysTheRingAfterTheAnswer() throws {
        var harness = Harness()
        harness.recordMany(3)
        let messages = try lines(harness.receive(request("events.subscribe", params: ["since": 0])))
        try #require(messages.count == 4)
        #expect(messages[0]["result"]?["subscription"] == 1, "the answer comes first")
        #expect(notifiedIDs(Array(messages.dropFirst())) == [1, 2, 3])
        #expect(messages[3]["params"]?["event"]?["type"] == "t3")
        #expect(try notifiedIDs(lines(harness.record("t4"))) == [4])
    }

    @Test func replayingFromACursorThatLeftTheRingStartsWithAGapMarker() throws {
        var harness = Harness(settings: settings { $0.eventCapacity = 4 })
        harness.recordMany(6)
        let messages = try lines(harness.receive(request("events.subscribe", params: ["since": 1])))
        #expect(messages.first?["result"]?["oldest_id"] == 3)
        let events = messages.dropFirst().compactMap { $0["params"]?["event"] }
        try #require(events.count == 5)
        #expect(events[0]["type"] == "gap")
        #expect(events[0]["id"] == .null)
        #expect(events[0]["data"] == ["from": 2, "to": 2, "missed": 1, "reason": "ring_overflow"])
        #expect(events.dropFirst().map { $0["id"] } == [3, 4, 5, 6])
        #expect(harness.server.counters.gaps == 1)
    }

    @Test func aSubscriptionInABatchReplaysAfterTheBatchAnswer() throws {
        var harness = Harness()
        harness.recordMany(2)
        let batch = "[\(body("events.subscribe", id: 1, params: ["since": 0])),\(body("t.echo", id: 2))]\n"
        let messages = try lines(harness.receive(batch))
        try #require(messages.count == 3)
        guard case .array(let answers) = messages[0] else {
            Issue.record("the batch answer comes first")
            return
        }
        #expect(answers.map { $0["id"] } == [1, 2])
        #expect(notifiedIDs(Array(messages.dropFirst())) == [1, 2])
    }

    @Test func unsubscribingStopsTheStream() throws {
        var harness = Harness()
        _ = try harness.call("events.subscribe")
        #expect(try harness.call("events.unsubscribe", id: 2)["result"] == ["unsubscribed": true])
        #expect(summary(harness.record("x")) == [])
        #expect(try harness.call("events.unsubscribe", id: 3)["result"] == ["unsubscribed": false])
        #expect(harness.server.subscriberCount == 0)
    }

    @Test func aClosedConnectionLosesItsSubscription() throws {
        var harness = Harness(connections: 2)
        _ = try harness.call("events.subscribe", on: first)
        _ = try harness.call("events.subscribe", on: second)
        harness.server.closed(first)
        #expect(harness.server.subscriberCount == 1)
        let effects = harness.record("x")
        #expect(written(effects, to: first) == 0)
        #expect(try notifiedIDs(lines(effects, to: second)) == [1])
    }

    @Test(arguments: [
        JSONValue.object(["since": 5]), ["since": -1], ["since": "1"], ["boot_id": 3], ["sice": 0], [0],
    ])
    func badSubscribeParamsAreInvalidParams(_ params: JSONValue) throws {
        var harness = Harness()
        harness.recordMany(2)
        let answer = try harness.call("events.subscribe", params: params)
        #expect(code(answer) == -32602)
        #expect(harness.server.subscriberCount == 0)
    }

    @Test func subscribingWithAnotherBootsIdReplaysFromTheStart() throws {
        var harness = Harness()
        harness.recordMany(2)
        let messages = try lines(
            harness.receive(request("events.subscribe", params: ["since": 900, "boot_id": "boot-old"])))
        #expect(messages.first?["result"]?["restarted"] == true)
        #expect(notifiedIDs(Array(messages.dropFirst())) == [1, 2])
    }

    @Test func aSlowSubscriberIsHeldBackAndCatchesUpWithAGapMarker() throws {
        var harness = Harness(
            settings: settings {
                $0.subscriberHighWater = 1
                $0.eventCapacity = 4
            })
        let subscribed = harness.receive(request("events.subscribe"))
        #expect(summary(harness.server.wrote(written(subscribed), to: first)) == [], "nothing to catch up on")
        let delivered = harness.record("t1")
        #expect(try notifiedIDs(lines(delivered)) == [1])
        // Event 1 is not read yet: 2…7 wait, and the ring of 4 keeps only 4…7.
        for index in 2...7 { #expect(summary(harness.record("t\(index)")) == [], "event \(index) is held back") }
        let caughtUp = harness.server.wrote(written(delivered), to: first)
        let events = try lines(caughtUp).compactMap { $0["params"]?["event"] }
        try #require(events.count == 5)
        #expect(events[0]["type"] == "gap")
        #expect(events[0]["data"]?["from"] == 2)
        #expect(events[0]["data"]?["to"] == 3)
        #expect(events[0]["data"]?["missed"] == 2)
        #expect(events.dropFirst().map { $0["id"] } == [4, 5, 6, 7])
        #expect(harness.server.counters.gaps == 1)
        // What the catch-up wrote is queued until the client reads it.
        #expect(summary(harness.record("t8")) == [], "the catch-up is not read yet")
        let rest = harness.server.wrote(written(caughtUp), to: first)
        #expect(try notifiedIDs(lines(rest)) == [8])
    }

    @Test func aSubscriberPartlyReadResumesOnlyBelowHalfTheHighWater() throws {
        var harness = Harness(settings: settings { $0.subscriberHighWater = 300 })
        let subscribed = harness.receive(request("events.subscribe"))
        _ = harness.server.wrote(written(subscribed), to: first)
        var unread = 0
        var delivered: [JSONValue] = []
        for index in 1...6 {
            let effects = harness.record("t\(index)", data: ["pad": .string(String(repeating: "p", count: 100))])
            unread += written(effects)
            delivered += try lines(effects)
        }
        let held = notifiedIDs(delivered)
        #expect(unread > 300)
        #expect(held.count < 6)
        // Reading a little (still above half the high water) does not resume the stream.
        #expect(summary(harness.server.wrote(10, to: first)) == [])
        let resumed = harness.server.wrote(unread - 10, to: first)
        #expect(try held + notifiedIDs(lines(resumed)) == [1, 2, 3, 4, 5, 6])
    }

    @Test func aSubscriberPastMaxQueuedBytesIsDisconnected() throws {
        var harness = Harness(settings: settings { $0.maxQueuedBytes = 1000 })
        _ = try harness.call("events.subscribe")
        var effects: [ControlEffect] = []
        for index in 1...20 {
            effects += harness.record("t\(index)", data: ["pad": .string(String(repeating: "p", count: 100))])
        }
        #expect(effects.filter { closes([$0]) }.count == 1)
        #expect(written(effects) < 1000)
        #expect(harness.server.counters.slowClientsDropped == 1)
        #expect(harness.server.subscriberCount == 0)
        #expect(summary(harness.record("t21")) == [])
        #expect(summary(harness.receive(request("t.echo"))) == [])
        harness.server.closed(first)
        #expect(harness.server.connectionCount == 0)
    }
}

@Suite("Control server: events.poll")
struct ControlServerPollTests {
    @Test func aPollAnswersAtOnceWhenEventsExist() throws {
        var harness = Harness()
        harness.recordMany(3)
        let answer = try harness.call("events.poll", params: ["since": 0])
        #expect(eventIDs(answer) == [1, 2, 3])
        #expect(answer["result"]?["next"] == 3)
        #expect(answer["result"]?["boot_id"] == "boot-a")
        #expect(answer["result"]?["restarted"] == false)
        let limited = try harness.call("events.poll", params: ["since": 1, "limit": 1])
        #expect(eventIDs(limited) == [2])
        #expect(limited["result"]?["next"] == 2)
        #expect(harness.server.nextDeadline == nil)
    }

    @Test func aPollWithNothingNewWaitsAndIsAnsweredByTheNextEvent() throws {
        var harness = Harness()
        harness.recordMany(2)
        let waiting = harness.receive(request("events.poll", id: 7, params: ["since": 2, "timeout_ms": 5000]))
        #expect(summary(waiting) == ["wake at \(t0 + .seconds(5))"])
        #expect(harness.server.nextDeadline == t0 + .seconds(5))
        harness.now += .seconds(1)
        let answer = try onlyLine(harness.record("t3", data: ["k": "v"]))
        #expect(answer["id"] == 7)
        #expect(eventIDs(answer) == [3])
        #expect(answer["result"]?["next"] == 3)
        #expect(harness.server.nextDeadline == nil)
        #expect(summary(harness.record("t4")) == [], "an answered poll is gone")
    }

    @Test func aFilteredPollWaitsThroughEventsItDoesNotWant() throws {
        var harness = Harness()
        #expect(summary(harness.receive(request("events.poll", params: ["since": 0, "types": ["peer.*"]]))) != [])
        #expect(summary(harness.record("neighbor.up")) == [])
        #expect(summary(harness.record("session.up")) == [])
        let answer = try onlyLine(harness.record("peer.banned"))
        #expect(eventIDs(answer) == [3])
        #expect(answer["result"]?["next"] == 3)
    }

    @Test func aWaitingPollTimesOutWithNoEvents() throws {
        var harness = Harness()
        harness.recordMany(1)
        let waiting = harness.receive(request("events.poll", id: "p", params: ["since": 1, "timeout_ms": 2000]))
        #expect(wakes(waiting) == [t0 + .seconds(2)])
        #expect(summary(harness.server.timerFired(now: t0 + .seconds(1))) == ["wake at \(t0 + .seconds(2))"])
        let effects = harness.server.timerFired(now: t0 + .seconds(2))
        let answer = try onlyLine(effects)
        #expect(answer["id"] == "p")
        #expect(answer["result"]?["events"] == [])
        #expect(answer["result"]?["next"] == 1)
        #expect(wakes(effects).isEmpty, "no poll waits any more")
        #expect(harness.server.nextDeadline == nil)
    }

    @Test func aBatchWhoseAnswerGrowsTooLargeIsCutShortWithErrors() throws {
        var harness = Harness(settings: settings { $0.maxQueuedBytes = 3000 })
        harness.recordMany(20)
        // Each poll answers 20 events (over 1,500 bytes): the first fills half the limit, the rest are refused.
        let batch = (1...3).map { body("events.poll", id: .integer($0), params: ["since": 0, "timeout_ms": 0]) }
        let effects = harness.receive("[" + batch.joined(separator: ",") + "]\n")
        let answer = try onlyLine(effects)
        guard case .array(let answers) = answer else {
            Issue.record("a batch is answered with an array")
            return
        }
        #expect(answers.count == 3)
        #expect(code(answers[0]) == nil)
        #expect(answers.dropFirst().allSatisfy { code($0) == -32003 })
        #expect(!closes(effects), "the client is not dropped for it")
    }

    @Test func aClientThatFinishedSendingIsClosedOnlyOnceItsWaitingPollIsAnswered() throws {
        var harness = Harness(connections: 2)
        harness.recordMany(1)
        _ = harness.receive(request("events.poll", id: "p", params: ["since": 1, "timeout_ms": 2000]))
        #expect(summary(harness.server.inputEnded(first)) == [], "a poll is still due: the connection stays")
        let effects = harness.server.timerFired(now: t0 + .seconds(2))
        #expect(try onlyLine(effects)["id"] == "p")
        #expect(closes(effects) && !drops(effects), "closed after the answer, gracefully")
        // With nothing due, the end of input closes at once (after what was written).
        #expect(closes(harness.server.inputEnded(second), second))
    }

    @Test func theTimerAnswersOnlyThePollsThatAreDue() throws {
        var harness = Harness(connections: 2)
        _ = harness.receive(request("events.poll", id: 1, params: ["since": 0, "timeout_ms": 1000]), on: first)
        _ = harness.receive(request("events.poll", id: 2, params: ["since": 0, "timeout_ms": 3000]), on: second)
        #expect(harness.server.nextDeadline == t0 + .seconds(1))
        let effects = harness.server.timerFired(now: t0 + .seconds(1))
        #expect(try lines(effects, to: first).map { $0["id"] } == [1])
        #expect(written(effects, to: second) == 0)
        #expect(wakes(effects) == [t0 + .seconds(3)])
    }

    @Test func aSecondWaitingPollOnOneConnectionIsRefused() throws {
        var harness = Harness(connections: 2)
        _ = harness.receive(request("events.poll", id: 1, params: ["since": 0]))
        let refused = try harness.call("events.poll", id: 2, params: ["since": 0])
        #expect(code(refused) == -32003)
        #expect(refused["id"] == 2)
        #expect(wakes(harness.receive(request("events.poll", id: 3, params: ["since": 0]), on: second)).count == 1)
        let effects = harness.record("x")
        #expect(try lines(effects, to: first).map { $0["id"] } == [1])
        #expect(try lines(effects, to: second).map { $0["id"] } == [3])
    }

    @Test func aPollMayNotStartAheadOfTheNewestEvent() throws {
        var harness = Harness()
        harness.recordMany(2)
        let answer = try harness.call("events.poll", params: ["since": 3])
        #expect(code(answer) == -32602)
        #expect(message(answer).contains("boot-a"))
    }

    @Test func aPollWithAnotherBootsIdRestartsFromTheStart() throws {
        var harness = Harness()
        harness.recordMany(3)
        let answer = try harness.call("events.poll", params: ["since": 40, "boot_id": "boot-old"])
        #expect(answer["result"]?["restarted"] == true)
        #expect(eventIDs(answer) == [1, 2, 3])
        let same = try harness.call("events.poll", params: ["since": 2, "boot_id": "boot-a"])
        #expect(same["result"]?["restarted"] == false)
        #expect(eventIDs(same) == [3])
    }

    @Test func aRestartedPollIntoAnOverflowedRingStartsWithAGapMarker() throws {
        var harness = Harness(settings: settings { $0.eventCapacity = 2 })
        harness.recordMany(5)
        let answer = try harness.call("events.poll", params: ["since": 9, "boot_id": "boot-old"])
        #expect(eventIDs(answer) == [nil, 4, 5])
        guard case .array(let events)? = answer["result"]?["events"] else { return }
        #expect(events[0]["type"] == "gap")
        #expect(events[0]["data"]?["from"] == 1)
        #expect(events[0]["data"]?["to"] == 3)
    }

    @Test(arguments: [
        JSONValue.object([:]), ["since": .null], ["since": 0, "timeout": 5], ["since": 0, "limit": 0],
        ["since": 0, "limit": 1001], ["since": 0, "timeout_ms": -1], ["since": 0, "timeout_ms": 60_001],
        ["since": 0, "timeout_ms": .double(1.5)], ["since": 0, "types": "x"], [0],
    ])
    func badPollParamsAreInvalidParams(_ params: JSONValue) throws {
        var harness = Harness()
        let answer = try harness.call("events.poll", params: params)
        #expect(code(answer) == -32602)
        #expect(harness.server.nextDeadline == nil)
    }

    @Test func aPollWithoutParamsNeedsSince() throws {
        var harness = Harness()
        let answer = try harness.call("events.poll")
        #expect(code(answer) == -32602)
        #expect(message(answer).contains("since"))
    }

    @Test func anUnknownPollParamIsNamed() throws {
        var harness = Harness()
        let answer = try harness.call("events.poll", params: ["since": 0, "wait": 1])
        #expect(code(answer) == -32602)
        #expect(message(answer).contains("\"wait\""))
    }

    @Test func aPollWithTimeoutZeroAnswersAtOnce() throws {
        var harness = Harness()
        let answer = try harness.call("events.poll", params: ["since": 0, "timeout_ms": 0])
        #expect(answer["result"]?["events"] == [])
        #expect(answer["result"]?["next"] == 0)
    }

    @Test func aPollInABatchDoesNotWait() throws {
        var harness = Harness()
        let effects = harness.receive("[\(body("events.poll", params: ["since": 0]))]\n")
        #expect(wakes(effects).isEmpty)
        guard case .array(let answers) = try onlyLine(effects) else {
            Issue.record("a batch is answered with an array")
            return
        }
        #expect(answers.count == 1)
        #expect(answers.first?["result"]?["events"] == [])
    }

    @Test func aPollSentAsANotificationNeitherWaitsNorIsAnswered() {
        var harness = Harness()
        #expect(summary(harness.receive(request("events.poll", id: nil, params: ["since": 0]))) == [])
        #expect(harness.server.nextDeadline == nil)
        #expect(summary(harness.record("x")) == [])
    }

    @Test func aClosedConnectionsPollIsForgotten() {
        var harness = Harness()
        _ = harness.receive(request("events.poll", params: ["since": 0]))
        harness.server.closed(first)
        #expect(harness.server.nextDeadline == nil)
        #expect(summary(harness.record("x")) == [])
    }
}

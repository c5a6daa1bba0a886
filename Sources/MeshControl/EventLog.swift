public import MeshCore

/// One event of the node's event stream (`Specs/control-api.md`, "Events").
public struct ControlEvent: Equatable, Sendable {
    /// Rises by exactly one from 1 within a boot.
    public var id: UInt64
    /// When it happened, on the node's clock.
    public var time: Instant
    /// Its type, e.g. `neighbor.up`.
    public var type: String
    /// Its type-specific members.
    public var data: JSONValue

    /// The event as its JSON object, with the boot it belongs to.
    public func json(bootID: String) -> JSONValue {
        [
            "id": .integer(id), "boot_id": .string(bootID), "time": .string(RFC3339.text(time)),
            "type": .string(type), "data": data,
        ]
    }

    /// The gap marker that stands for the events `from`…`to` a reader missed (they left the ring before it read
    /// them), with the reason. It has no id of its own; the reader's next event has id `to + 1`. Its `time` is that
    /// of the oldest event still kept, the first after the gap.
    public static func gap(from: UInt64, to: UInt64, reason: String, bootID: String, time: Instant) -> JSONValue {
        [
            "id": .null, "boot_id": .string(bootID), "time": .string(RFC3339.text(time)), "type": "gap",
            "data": [
                "from": .integer(from), "to": .integer(to), "missed": .integer(to - from + 1),
                "reason": .string(reason),
            ],
        ]
    }
}

/// A filter on event types: exact names (`neighbor.up`) and families (`neighbor.*`); empty takes every type.
public struct EventTypeFilter: Equatable, Sendable {
    /// The exact names.
    public private(set) var names: Set<String> = []
    /// The family prefixes, each ending in a dot.
    public private(set) var prefixes: [String] = []

    /// Every type.
    public init() {}

    /// The filter from a `types` param: strings, each a name or `family.*`.
    /// - Throws: `RPCError` invalid params naming the entry that is not a type.
    public init(param: JSONValue?) throws(RPCError) {
        guard let param, param != .null else { return }
        guard case .array(let entries) = param else {
            throw .invalidParams("\"types\" must be an array of strings, not \(param.typeName)")
        }
        guard entries.count <= 64 else { throw .invalidParams("\"types\" lists at most 64 entries") }
        for entry in entries {
            guard case .string(let text) = entry, !text.isEmpty, text.count <= 64,
                text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "*" })
            else {
                throw .invalidParams(
                    "\"types\" entry \(String(decoding: entry.encoded, as: UTF8.self)) is not an event type")
            }
            if text == "*" {
                prefixes.append("")
            } else if text.hasSuffix(".*") {
                prefixes.append(String(text.dropLast()))
            } else if text.contains("*") {
                throw .invalidParams(
                    "\"types\" entry \"\(text)\": a wildcard may only end a family, as in \"neighbor.*\"")
            } else {
                names.insert(text)
            }
        }
    }

    /// Whether `type` passes.
    public func accepts(_ type: String) -> Bool {
        if names.isEmpty && prefixes.isEmpty { return true }
        return names.contains(type) || prefixes.contains { type.hasPrefix($0) }
    }
}

/// The node's recent events in a bounded ring (Syncthing's event API: ids rise by one, readers keep a cursor, a
/// reader whose cursor fell out of the ring is told how many it missed). Appending never waits for readers.
public struct EventLog: Sendable {
    /// Identifies this boot of the node: ids restart from 1 when it changes.
    public let bootID: String
    /// How many events the ring keeps.
    public let capacity: Int
    private var ring: [ControlEvent] = []
    private var start = 0
    /// The id of the newest event; 0 before the first.
    public private(set) var lastID: UInt64 = 0

    /// An empty log for the boot `bootID`, keeping the last `capacity` events.
    public init(bootID: String, capacity: Int = 4096) {
        precondition(capacity > 0, "an event log keeps at least one event")
        self.bootID = bootID
        self.capacity = capacity
        ring.reserveCapacity(min(capacity, 4096))
    }

    /// The id of the oldest event still kept (`lastID + 1` when empty).
    public var oldestID: UInt64 { lastID + 1 - UInt64(ring.count) }

    /// Appends an event and returns it.
    @discardableResult
    public mutating func append(type: String, data: JSONValue, time: Instant) -> ControlEvent {
        lastID += 1
        let event = ControlEvent(id: lastID, time: time, type: type, data: data)
        if ring.count < capacity {
            ring.append(event)
        } else {
            ring[start] = event
            start = (start + 1) % capacity
        }
        return event
    }

    /// The event with `id`, if the ring still holds it.
    public func event(_ id: UInt64) -> ControlEvent? {
        guard id >= oldestID, id <= lastID else { return nil }
        return ring[(start + Int(id - oldestID)) % ring.count]
    }

    /// What a reader whose last seen id is `cursor` reads next.
    public struct Read: Equatable, Sendable {
        /// Events the reader missed because they left the ring, if any: `from`…`to`.
        public var missed: ClosedRange<UInt64>?
        /// Matching events, oldest first.
        public var events: [ControlEvent]
        /// The reader's new cursor: the last id examined (events the filter skipped count as read).
        public var cursor: UInt64
    }

    /// Reads up to `limit` events after `cursor` that `filter` accepts, examining at most `scanLimit` events.
    public func read(after cursor: UInt64, filter: EventTypeFilter, limit: Int, scanLimit: Int = 65_536) -> Read {
        var position = cursor
        var missed: ClosedRange<UInt64>?
        if position + 1 < oldestID {
            missed = (position + 1)...(oldestID - 1)
            position = oldestID - 1
        }
        var events: [ControlEvent] = []
        var scanned = 0
        while position < lastID, events.count < limit, scanned < scanLimit {
            position += 1
            scanned += 1
            let event = ring[(start + Int(position - oldestID)) % ring.count]
            if filter.accepts(event.type) { events.append(event) }
        }
        return Read(missed: missed, events: events, cursor: position)
    }
}

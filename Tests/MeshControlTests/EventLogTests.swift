import MeshCore
import Testing

@testable import MeshControl

@Suite struct EventLogTests {
    let t0 = Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000)

    @Test func idsRiseByOneAndTheRingKeepsTheNewest() {
        var log = EventLog(bootID: "b", capacity: 3)
        for index in 1...5 { log.append(type: "t\(index)", data: .null, time: t0) }
        #expect(log.lastID == 5)
        #expect(log.oldestID == 3)
        #expect(log.event(2) == nil)
        #expect(log.event(3)?.type == "t3")
        #expect(log.event(5)?.type == "t5")
    }

    @Test func aCursorThatFellOutOfTheRingReadsAGap() {
        var log = EventLog(bootID: "b", capacity: 3)
        for index in 1...5 { log.append(type: "t\(index)", data: .null, time: t0) }
        let read = log.read(after: 0, filter: EventTypeFilter(), limit: 10)
        #expect(read.missed == 1...2)
        #expect(read.events.map(\.id) == [3, 4, 5])
        #expect(read.cursor == 5)
        let current = log.read(after: 2, filter: EventTypeFilter(), limit: 10)
        #expect(current.missed == nil)
        #expect(current.events.map(\.id) == [3, 4, 5])
    }

    @Test func filteredEventsAdvanceTheCursor() throws {
        var log = EventLog(bootID: "b", capacity: 10)
        log.append(type: "neighbor.up", data: .null, time: t0)
        log.append(type: "session.up", data: .null, time: t0)
        log.append(type: "neighbor.down", data: .null, time: t0)
        let filter = try EventTypeFilter(param: ["neighbor.*"])
        let read = log.read(after: 0, filter: filter, limit: 10)
        #expect(read.events.map(\.type) == ["neighbor.up", "neighbor.down"])
        #expect(read.cursor == 3)
        let limited = log.read(after: 0, filter: filter, limit: 1)
        #expect(limited.events.map(\.id) == [1])
        #expect(limited.cursor == 1)
    }

    @Test func typeFiltersRefuseWhatIsNotAType() {
        #expect(throws: RPCError.self) { try EventTypeFilter(param: "neighbor.up") }
        #expect(throws: RPCError.self) { try EventTypeFilter(param: [1]) }
        #expect(throws: RPCError.self) { try EventTypeFilter(param: ["nei*bor"]) }
        #expect(throws: RPCError.self) { try EventTypeFilter(param: ["a b"]) }
    }

    @Test func timestampsAreRFC3339InUTC() {
        #expect(RFC3339.text(.epoch) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.text(Instant(nanosecondsSinceEpoch: 1_700_000_000_123_456_789)) == "2023-11-14T22:13:20.123Z")
        #expect(RFC3339.text(Instant(nanosecondsSinceEpoch: 951_782_400_000_000_000)) == "2000-02-29T00:00:00.000Z")
        #expect(RFC3339.text(Instant(nanosecondsSinceEpoch: -1_000_000)) == "1969-12-31T23:59:59.999Z")
    }
}

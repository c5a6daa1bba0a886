import MeshCore
import MeshCrypto
import MeshIndicators
import MeshSignals
import Testing

@testable import MeshNode

/// Signals between node cores over real handshakes and sessions: a strategy's signals are signed and gossiped, every
/// subscriber receives each once, checked; an operator's signal goes the same way.
@Suite("Signals over gossip")
struct SignalGossipTests {
    @Test func aStrategysSignalsReachEverySubscriberOnce() throws {
        let strategy = try Strategy(json: Strategy.exampleJSON)
        var network = NodeNetwork(
            count: 12, seedCount: 2, subscriptions: ["AAPL"], engines: [5: try SignalEngine(strategies: [strategy])])
        network.start(0..<12)
        network.run(for: .seconds(20))
        let bars = try #require(Feed.sample("AAPL")).bars.prefix(600)
        for bar in bars {
            network.feed(5, symbol: "AAPL", bar: bar, timeframe: try Timeframe("1d"))
            network.run(for: .milliseconds(50))
        }
        network.run(for: .seconds(5))
        let own = network.nodes[5].events.compactMap { event -> SignalRecord? in
            if case .signal(_, let record) = event { record } else { nil }
        }
        #expect(own.count > 5)
        for index in 0..<12 where index != 5 {
            let received = network.nodes[index].events.compactMap { event -> SignalRecord? in
                if case .signalReceived(let record, _) = event { record } else { nil }
            }
            #expect(received == own, "node \(index) received \(received.count) of \(own.count)")
            #expect(network.nodes[index].core.signalRecords.suffix(own.count) == own[...])
        }
        // Sequences rise, issuer is node 5.
        #expect(zip(own, own.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(own.allSatisfy { $0.issuer == network.id(5) })
    }

    @Test("a neighbour that stops acknowledging fills only its own send queue, overflows it and is demoted")
    func aSilentNeighbourIsSlowTheOthersDrain() throws {
        var network = NodeNetwork(count: 6, seedCount: 1, subscriptions: ["MSFT"])
        network.start(0..<6)
        network.run(for: .seconds(15))
        let publisher = 2
        let neighbours = network.activeNeighbours(publisher)
        let slow = try #require(neighbours.first { $0 != 0 })
        network.muted = [slow]
        // Two bursts of 700 signals at one instant, 3 s apart: more than any congestion window or queue takes at
        // once. Every queue overflows in each burst; the healthy neighbours' drain in between.
        for burst in 0..<2 {
            for serial in 0..<700 {
                let signal = Signal(
                    strategy: "manual", rule: "burst", symbol: "MSFT", timeframe: "1d",
                    time: Int64(burst * 1000 + serial),
                    price: 30, side: .buy, kind: .entry, strength: 0.5, snapshot: [:])
                network.publish(publisher, signal)
            }
            #expect(network.nodes[publisher].core.gossipQueues.delayed > 0)
            network.run(for: .seconds(3))
        }
        let after = network.nodes[publisher].core
        // The muted neighbour's queue overflowed (own publications dropped, oldest first) and it was found slow;
        // every other neighbour's drained.
        #expect(after.gossipQueues.dropped[GossipSendQueues.Class.own.rawValue] > 0, "\(after.gossipQueues.dropped)")
        #expect(after.gossipQueues.slowNeighbours >= 1)
        #expect(after.gossip.isDemoted(network.id(slow)))
        for other in neighbours where other != slow {
            #expect(after.gossipQueues.waiting(for: network.id(other)) == 0, "neighbour \(other)")
            #expect(!after.gossip.isDemoted(network.id(other)))
        }
    }

    @Test func anOperatorsSignalIsSignedAndDelivered() throws {
        var network = NodeNetwork(count: 6, seedCount: 1, subscriptions: ["MSFT"])
        network.start(0..<6)
        network.run(for: .seconds(15))
        let signal = Signal(
            strategy: "manual", rule: "operator", symbol: "MSFT", timeframe: "1d", time: 0, price: 30.5, side: .sell,
            kind: .entry, strength: 0.4, snapshot: [:])
        network.publish(2, signal)
        network.run(for: .seconds(2))
        for index in 0..<6 where index != 2 {
            let received = network.nodes[index].events.contains { event in
                if case .signalReceived(let record, _) = event {
                    record.signal == signal && record.issuer == network.id(2)
                } else {
                    false
                }
            }
            #expect(received, "node \(index)")
        }
    }
}

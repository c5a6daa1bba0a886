public import MeshCore

/// How simulated links behave: delay, loss and duplication of each datagram, drawn from the simulation's seeded
/// generator (issue 5 grows this into per-link distributions, bandwidth, partitions).
public struct NetworkModel: Sendable, Equatable {
    /// One-way delay of a datagram.
    public enum Latency: Sendable, Equatable {
        /// Always this long.
        case fixed(Duration)
        /// Uniformly between the two bounds (inclusive), drawn per datagram, so datagrams reorder.
        case uniform(Duration, Duration)
    }

    /// The delay of each datagram.
    public var latency: Latency = .uniform(.milliseconds(5), .milliseconds(25))
    /// The probability that a datagram is lost, 0 to 1.
    public var loss = 0.0
    /// The probability that a datagram is delivered twice (the copy with its own delay), 0 to 1.
    public var duplication = 0.0

    /// Links of 5–25 ms, no loss, no duplication.
    public init() {}

    /// A model from its parts.
    public init(latency: Latency, loss: Double = 0, duplication: Double = 0) {
        precondition((0...1).contains(loss) && (0...1).contains(duplication), "probabilities are from 0 to 1")
        self.latency = latency
        self.loss = loss
        self.duplication = duplication
    }

    /// A delay drawn with `generator`.
    func delay(using generator: inout Xoshiro256StarStar) -> Duration {
        switch latency {
        case .fixed(let value):
            return value
        case .uniform(let low, let high):
            let span = UInt64(max(0, high.nanoseconds - low.nanoseconds)) + 1
            return low + .nanoseconds(Int64(generator.next() % span))
        }
    }
}

extension Xoshiro256StarStar {
    /// A uniform draw from [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}

public import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How simulated links behave: each datagram's delay, loss and duplication drawn from the simulation's seeded
/// generator, regions with a latency matrix, an uplink bandwidth per node with a bounded queue, and an MTU.
/// Partitions are faults (`Partition`), scheduled on the simulation.
public struct NetworkModel: Sendable, Equatable {
    /// A one-way delay distribution, drawn per datagram (so datagrams on one link reorder whenever it has spread).
    public enum Latency: Sendable, Equatable {
        /// Always this long.
        case fixed(Duration)
        /// Uniformly between the two bounds (inclusive).
        case uniform(Duration, Duration)
        /// Normal with this mean and standard deviation, cut at zero.
        case normal(mean: Duration, deviation: Duration)
        /// Log-normal with this median and shape σ (the long right tail of real links).
        case logNormal(median: Duration, sigma: Double)
    }

    /// The delay of each datagram; with `regions`, the jitter added to the regions' base delay.
    public var latency: Latency = .uniform(.milliseconds(5), .milliseconds(25))
    /// Regions and the base one-way delay between them; node `i` is in region `i % regions.count`.
    public var regions: RegionMatrix?
    /// The probability that a datagram is lost, 0 to 1.
    public var loss = 0.0
    /// The probability that a datagram is delivered twice (the copy with its own delay), 0 to 1.
    public var duplication = 0.0
    /// Each node's uplink in bytes a second; nil for unlimited. Datagrams queue behind each other (FIFO).
    public var bandwidth: Int?
    /// Bytes that may wait on a node's uplink; a datagram that would queue beyond is dropped (tail drop).
    public var queueLimit = 1 << 20
    /// The largest datagram a link carries; larger ones are dropped.
    public var mtu = 1500

    /// Links of 5–25 ms, no loss, no duplication, unlimited bandwidth, MTU 1500.
    public init() {}

    /// A model from its parts.
    public init(
        latency: Latency, loss: Double = 0, duplication: Double = 0, regions: RegionMatrix? = nil,
        bandwidth: Int? = nil, mtu: Int = 1500
    ) {
        precondition((0...1).contains(loss) && (0...1).contains(duplication), "probabilities are from 0 to 1")
        precondition(bandwidth.map { $0 > 0 } ?? true && mtu > 0, "bandwidth and MTU are positive")
        self.latency = latency
        self.loss = loss
        self.duplication = duplication
        self.regions = regions
        self.bandwidth = bandwidth
        self.mtu = mtu
    }

    /// The mean delay from node `from` to node `to`: the regions' base delay and the latency's mean.
    func meanDelay(from: Int, to: Int) -> Duration {
        let base = regions.map { $0.delay(from: from % $0.names.count, to: to % $0.names.count) } ?? .zero
        return base + latency.mean
    }

    /// No datagram's delay is shorter: the smallest base delay between regions and the latency's lower bound
    /// (zero for the normal and log-normal, which are cut at zero). The simulator's lookahead.
    var minimumDelay: Duration {
        let base = regions.map { $0.delays.joined().min() ?? .zero } ?? .zero
        switch latency {
        case .fixed(let value): return base + value
        case .uniform(let low, _): return base + max(low, .zero)
        case .normal, .logNormal: return base
        }
    }

    /// A delay for a datagram from node `from` to node `to`, drawn with `generator`.
    func delay(from: Int, to: Int, using generator: inout Xoshiro256StarStar) -> Duration {
        let base = regions.map { $0.delay(from: from % $0.names.count, to: to % $0.names.count) } ?? .zero
        return base + latency.draw(using: &generator)
    }
}

extension NetworkModel.Latency {
    /// The distribution's mean (the normal's before its cut at zero).
    var mean: Duration {
        switch self {
        case .fixed(let value): value
        case .uniform(let low, let high): .nanoseconds((low.nanoseconds + high.nanoseconds) / 2)
        case .normal(let mean, _): mean
        case .logNormal(let median, let sigma): .nanoseconds(Int64(Double(median.nanoseconds) * exp(sigma * sigma / 2)))
        }
    }

    /// One draw, never negative.
    func draw(using generator: inout Xoshiro256StarStar) -> Duration {
        switch self {
        case .fixed(let value):
            return value
        case .uniform(let low, let high):
            let span = UInt64(max(0, high.nanoseconds - low.nanoseconds)) + 1
            return low + .nanoseconds(Int64(generator.next() % span))
        case .normal(let mean, let deviation):
            let value = Double(mean.nanoseconds) + Double(deviation.nanoseconds) * generator.standardNormal()
            return .nanoseconds(Int64(max(0, min(value, 3.6e12))))
        case .logNormal(let median, let sigma):
            let value = Double(median.nanoseconds) * exp(sigma * generator.standardNormal())
            return .nanoseconds(Int64(max(0, min(value, 3.6e12))))
        }
    }

}

/// Named regions and the base one-way delay between each pair (a matrix, not necessarily symmetric).
public struct RegionMatrix: Sendable, Equatable {
    /// The regions' names.
    public let names: [String]
    /// `delays[i][j]`: from region `i` to region `j`.
    public let delays: [[Duration]]

    /// A matrix; `delays` is square, one row per name.
    public init(names: [String], delays: [[Duration]]) {
        precondition(!names.isEmpty && delays.count == names.count && delays.allSatisfy { $0.count == names.count })
        self.names = names
        self.delays = delays
    }

    func delay(from: Int, to: Int) -> Duration { delays[from][to] }

    /// Four regions with one-way delays close to public inter-region round-trip figures halved: Frankfurt,
    /// Virginia, Oregon, Tokyo.
    public static let world: RegionMatrix = {
        let names = ["eu-central", "us-east", "us-west", "ap-northeast"]
        let milliseconds: [[Int64]] = [
            [1, 45, 75, 115],
            [45, 1, 35, 75],
            [75, 35, 1, 50],
            [115, 75, 50, 1],
        ]
        return RegionMatrix(names: names, delays: milliseconds.map { $0.map { .milliseconds($0) } })
    }()
}

extension Xoshiro256StarStar {
    /// A uniform draw from [0, 1).
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Marsaglia's polar method).
    mutating func standardNormal() -> Double {
        while true {
            let u = 2 * unit() - 1
            let v = 2 * unit() - 1
            let s = u * u + v * v
            guard s > 0, s < 1 else { continue }
            return u * (-2 * log(s) / s).squareRoot()
        }
    }
}

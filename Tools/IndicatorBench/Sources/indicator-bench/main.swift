// Times MeshIndicators' batch and streaming forms over N generated bars (SplitMix64 random walk, the same as
// Tools/bench-indicators.c generates) and counts allocations during the streaming updates. Prints one line per
// indicator and form: "NAME FORM ns_per_sample allocations_per_update".
import Foundation
import MallocCounter
import MeshIndicators

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 10_000_000

struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
}

var generator = SplitMix64(state: 42)
var bars: [Bar] = []
var closes: [Double] = []
bars.reserveCapacity(count)
closes.reserveCapacity(count)
var price = 100.0
for _ in 0..<count {
    price *= 1 + (generator.unit() - 0.5) * 0.02
    let high = price * (1 + 0.005 * generator.unit())
    let low = price * (1 - 0.005 * generator.unit())
    let volume = 1000 + 1000 * generator.unit()
    bars.append(Bar(open: price, high: high, low: low, close: price, volume: volume))
    closes.append(price)
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
var sink = 0.0

/// Best of three runs of `body`, in ns per sample.
func best(_ body: () throws -> Void) rethrows -> Double {
    var fastest = UInt64.max
    for _ in 0..<3 {
        let start = now()
        try body()
        fastest = min(fastest, now() - start)
    }
    return Double(fastest) / Double(count)
}

func report(_ name: String, _ form: String, _ ns: Double, _ allocations: Double) {
    print(String(format: "%@ %@ %.3f %.4f", name, form, ns, allocations))
}

/// Batch and streaming of a price indicator with a scalar output.
func price<I: StreamingIndicator>(_ name: String, _ make: () throws -> I) throws where I.Input == Double, I.Output == Double {
    let batch = try best { sink += try make().batch(closes)[count - 1] }
    report(name, "batch", batch, 0)
    var allocations = 0.0
    let stream = try best {
        var indicator = try make()
        let before = malloc_counter_calls()
        for close in closes { sink += try indicator.update(close) ?? 0 }
        allocations = Double(malloc_counter_calls() - before) / Double(count)
    }
    report(name, "stream", stream, allocations)
}

func bar<I: StreamingIndicator>(_ name: String, _ make: () throws -> I) throws where I.Input == Bar, I.Output == Double {
    let batch = try best { sink += try make().batch(bars)[count - 1] }
    report(name, "batch", batch, 0)
    var allocations = 0.0
    let stream = try best {
        var indicator = try make()
        let before = malloc_counter_calls()
        for bar in bars { sink += try indicator.update(bar) ?? 0 }
        allocations = Double(malloc_counter_calls() - before) / Double(count)
    }
    report(name, "stream", stream, allocations)
}

/// Multi-output price indicators: `read` folds an output into the sink.
func multi<I: StreamingIndicator>(
    _ name: String, _ make: () throws -> I, _ read: (I.Output) -> Double
) throws where I.Input == Double {
    let batch = try best {
        let outputs = try make().outputs(for: closes)
        sink += outputs[count - 1].map(read) ?? 0
    }
    report(name, "batch", batch, 0)
    var allocations = 0.0
    let stream = try best {
        var indicator = try make()
        let before = malloc_counter_calls()
        for close in closes { sink += try indicator.update(close).map(read) ?? 0 }
        allocations = Double(malloc_counter_calls() - before) / Double(count)
    }
    report(name, "stream", stream, allocations)
}

try price("SMA(30)") { try SMA(period: 30) }
try price("EMA(30)") { try EMA(period: 30) }
try price("RSI(14)") { try RSI(period: 14) }
try multi("MACD(12,26,9)", { try MACD(fastPeriod: 12, slowPeriod: 26, signalPeriod: 9) }) { $0.histogram }
try multi("BBANDS(20)", { try BollingerBands(period: 20, deviationsUp: 2, deviationsDown: 2) }) { $0.upper }
try bar("ATR(14)") { try AverageTrueRange(period: 14) }
try bar("ADX(14)") { try AverageDirectionalIndex(period: 14) }
FileHandle.standardError.write(Data("(sink \(sink))\n".utf8))

// Times MeshIndicators' batch and streaming forms over N generated bars (SplitMix64 random walk, the same as
// Tools/bench-indicators.c generates) and counts allocations during the streaming updates. Prints one line per
// indicator and form: "NAME FORM ns_per_sample allocations_per_update". The forms: "batch" writes into an array
// made once and reused by every run (as the C side reuses its output buffers), "fresh" is `batch(_:)` returning a
// new array each run (its page faults included), "stream" is one `update` per input.
//
//   indicator-bench [N] [NAME-PREFIX]   (only the indicators whose name starts with the prefix)
import Foundation
import MallocCounter
import MeshIndicators

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 10_000_000
let only = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : ""

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

/// The line of an output the sink takes, as the C side's (a protocol, so that the specialised loops read it inline).
protocol Sampled { var sample: Double { get } }
extension Double: Sampled { var sample: Double { self } }
extension MACD.Output: Sampled { var sample: Double { histogram } }
extension BollingerBands.Output: Sampled { var sample: Double { upper } }

/// The batch forms and the streaming form of an indicator over `inputs`.
func run<I: StreamingIndicator>(
    _ name: String, _ inputs: [I.Input], _ make: () throws -> I
) throws where I.Output: BatchOutput & Sampled {
    guard name.hasPrefix(only) else { return }
    var outputs: [I.Output] = []
    let batch = try best {
        try make().batch(inputs, into: &outputs)
        sink += outputs[count - 1].sample
    }
    report(name, "batch", batch, 0)
    let fresh = try best { sink += try make().batch(inputs)[count - 1].sample }
    report(name, "fresh", fresh, 0)
    var allocations = 0.0
    let stream = try best {
        var indicator = try make()
        let before = malloc_counter_calls()
        for input in inputs { sink += try indicator.update(input)?.sample ?? 0 }
        allocations = Double(malloc_counter_calls() - before) / Double(count)
    }
    report(name, "stream", stream, allocations)
}

try run("SMA(30)", closes) { try SMA(period: 30) }
try run("EMA(30)", closes) { try EMA(period: 30) }
try run("RSI(14)", closes) { try RSI(period: 14) }
try run("MACD(12,26,9)", closes) { try MACD(fastPeriod: 12, slowPeriod: 26, signalPeriod: 9) }
try run("BBANDS(20)", closes) { try BollingerBands(period: 20, deviationsUp: 2, deviationsDown: 2) }
try run("ATR(14)", bars) { try AverageTrueRange(period: 14) }
try run("ADX(14)", bars) { try AverageDirectionalIndex(period: 14) }
FileHandle.standardError.write(Data("(sink \(sink))\n".utf8))

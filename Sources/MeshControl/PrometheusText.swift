import Foundation

/// Writes the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines, then samples.
///
/// Hand-written rather than taken from swift-prometheus: that library keeps its own registry of counters the code
/// increments, while every count here already lives in the cores (which must stay free of such globals for the
/// simulator) and is read at scrape time; the format itself is a few lines.
public struct PrometheusText {
    /// The text so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() { text.reserveCapacity(16 << 10) }

    /// One metric family: `name` of `type` (counter or gauge) with `help`, and its samples (label sets and values).
    public mutating func family(
        _ name: String, type: String, help: String, samples: [(labels: [(String, String)], value: Double)]
    ) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type)\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                text += "{"
                text += sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",")
                text += "}"
            }
            text += " \(Self.format(sample.value))\n"
        }
    }

    /// A family with one unlabelled sample.
    public mutating func single(_ name: String, type: String, help: String, value: Double) {
        family(name, type: type, help: help, samples: [([], value)])
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeHelp(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeLabel(_ text: String) -> String {
        guard
            text.utf8.contains(where: {
                $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n")
            })
        else { return text }
        return escapeHelp(text).replacingOccurrences(of: "\"", with: "\\\"")
    }
}

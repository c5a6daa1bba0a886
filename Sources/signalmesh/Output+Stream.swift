import Foundation

extension Output {
    /// Prints `text` as one line and flushes it (with every other stdio stream), so that a script reading a pipe
    /// sees each line as it happens rather than when a buffer fills.
    static func line(_ text: String) {
        print(text)
        fflush(nil)
    }

    /// Prints one JSON object with values of any JSON type (strings, numbers, booleans, arrays) on one line, keys
    /// sorted, and flushes.
    static func jsonLine(_ fields: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        line(String(decoding: data, as: UTF8.self))
    }

    /// Milliseconds with three decimals, as ping(8) prints them: `0.245`.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        String(format: "%.3f", Double(nanoseconds) / 1e6)
    }

    /// Milliseconds as a JSON number rounded to the microsecond.
    static func millisecondsValue(_ nanoseconds: Int64) -> Double {
        (Double(nanoseconds) / 1e3).rounded() / 1e3
    }

    /// Seconds as a person writes them: `10`, `0.5`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

import Foundation

/// Writing results for people and for scripts (`--json`).
enum Output {
    /// Prints one JSON object on one line, keys sorted, for scripts.
    static func json(_ fields: [String: String]) {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Prints a note for people on standard error, keeping standard output for the result.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// The rules for a network's name (`main`, `devnet`, `testnet-2`): it names a data directory, is bound into every
/// handshake's prologue, and is written in seed lists, so one set of rules holds everywhere.
public enum NetworkName {
    /// The longest name, in bytes.
    public static let maxLength = 64

    /// What is wrong with `name` as a network name, or nil if it is valid: 1 to 64 ASCII letters, digits, '-', '_'
    /// and '.', and not `.` or `..`.
    public static func problem(with name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= maxLength else {
            return "a network name has 1 to \(maxLength) bytes, '\(name)' has \(name.utf8.count)"
        }
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
            name != ".", name != ".."
        else {
            return "the network name '\(name)' may use only letters, digits, '-', '_' and '.' (it names a directory)"
        }
        return nil
    }
}

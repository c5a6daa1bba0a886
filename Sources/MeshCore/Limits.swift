/// Limits shared by every module: the sizes the protocol promises never to exceed and every decoder enforces.
///
/// Each is fixed by a spec (`Specs/wire.md`, "Limits"); a module that needs a tighter bound names its own setting.
public enum Limits {
    /// The largest UDP payload a node sends: 1200 bytes, the QUIC minimum that every IPv6 path carries unfragmented.
    public static let maxDatagramSize = 1200
    /// The largest message carried on a session's reliable stream, 1 MiB.
    public static let maxStreamMessageSize = 1 << 20
    /// The largest frame payload a frame header may announce; equal to the largest stream message.
    public static let maxFramePayloadSize = maxStreamMessageSize
    /// The largest value a QUIC variable-length integer holds, 2^62 - 1.
    public static let maxVarint: UInt64 = (1 << 62) - 1
    /// The default cap for one length-prefixed byte field when a decoder names no tighter one.
    public static let maxFieldSize = 64 * 1024
    /// The default cap for one length-prefixed text field (UTF-8 bytes).
    public static let maxTextSize = 1024
}

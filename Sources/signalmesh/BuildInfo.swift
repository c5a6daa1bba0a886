import MeshWire

/// What this build is, for `signalmesh version`.
enum BuildInfo {
    /// The release version of the `signalmesh` program.
    static let version = "0.1.0"
    /// The wire protocol version it speaks.
    static let wireVersion = FrameHeader.currentVersion
}

/// Where a libuv handle owned by a runtime object is in its life.
///
/// A handle is `open` from a successful `uv_*_init` until its owner calls `close()`, `closing` until libuv runs the
/// close callback, and `closed` afterwards, when its memory has been freed and it must never be touched again.
enum HandleState: Equatable, CustomStringConvertible {
    case open
    case closing
    case closed

    var description: String {
        switch self {
        case .open: "open"
        case .closing: "closing"
        case .closed: "closed"
        }
    }
}

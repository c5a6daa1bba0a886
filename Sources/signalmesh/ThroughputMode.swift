import ArgumentParser
import MeshTransport

/// How `signalmesh throughput send` hands its messages to the transport.
enum ThroughputMode: String, CaseIterable, ExpressibleByArgument {
    /// One DATAGRAM frame per message: unreliable, unordered, at most `Endpoint.maxDatagramMessage` bytes.
    case datagram
    /// The peer's reliable, ordered stream (`Endpoint.sendReliable`), paced by congestion control.
    case stream

    /// The message size when `--size` is not given: a full datagram, or 16 KiB on the stream.
    var defaultSize: Int {
        switch self {
        case .datagram: Endpoint.maxDatagramMessage
        case .stream: 16 << 10
        }
    }

    /// The largest `--size` the mode can carry in one message.
    var maxSize: Int {
        switch self {
        case .datagram: Endpoint.maxDatagramMessage
        case .stream: Endpoint.maxReliableMessage
        }
    }

    /// The mode's byte in a throughput message (`ThroughputMessage`).
    var wireValue: UInt8 {
        switch self {
        case .datagram: 1
        case .stream: 2
        }
    }

    /// The mode a throughput message names, or nil for a byte no mode has.
    init?(wireValue: UInt8) {
        switch wireValue {
        case 1: self = .datagram
        case 2: self = .stream
        default: return nil
        }
    }
}

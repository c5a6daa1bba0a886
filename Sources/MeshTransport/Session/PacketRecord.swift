/// What one sent packet carried that matters when it is acknowledged or lost (the payload of the sent-packet
/// tracker).
struct PacketRecord {
    /// A chunk of the reliable stream: generation and byte range.
    var stream: (id: UInt32, range: Range<UInt64>)?
    /// A MAX_DATA grant for a stream generation; resent if lost.
    var maxData: UInt32?
    /// An ACK frame it carried, with the index of the session whose received packets it reported.
    var ack: (sessionIndex: UInt32, frame: AckFrame)?
    /// Whether it carried a PING the user asked for (its acknowledgment is a pong).
    var isPing = false
}

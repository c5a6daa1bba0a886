/// Sliding-window replay protection for packet counters (RFC 6479's bitmap, as WireGuard uses it).
///
/// Accepts each counter at most once, and only counters no more than `windowSize - 1` behind the highest seen.
/// The bitmap is `blocks` 64-bit words; one word is kept spare so the window slides a word at a time without
/// shifting bits, giving `(blocks - 1) × 64` usable positions: 4032 with the default 64 words (512 bytes per
/// session), well above the minimum of 2048 the transport asks for (`Specs/transport.md`, section 5).
public struct ReplayWindow: Sendable {
    /// Words in the bitmap (a power of two).
    public static let blocks = 64
    /// Counters behind the highest that are still accepted once.
    public static let windowSize = UInt64((blocks - 1) * 64)

    private var bitmap = [UInt64](repeating: 0, count: blocks)
    /// The highest counter accepted so far, or nil before the first.
    public private(set) var highest: UInt64?

    /// An empty window: nothing seen yet, so the first counter is accepted whatever its value.
    public init() {}

    /// Whether `counter` would be accepted, without recording it (check before decrypting, record after).
    public func wouldAccept(_ counter: UInt64) -> Bool {
        guard let highest else { return true }
        if counter > highest { return true }
        if highest - counter >= Self.windowSize { return false }
        let (block, bit) = Self.position(counter)
        return bitmap[block] & (1 << bit) == 0
    }

    /// Records `counter`; returns false (and records nothing) if it is a replay or too old.
    public mutating func accept(_ counter: UInt64) -> Bool {
        guard wouldAccept(counter) else { return false }
        if let highest, counter <= highest {
            // Inside the window: mark it.
        } else {
            // Advance: clear the words between the old highest word and the new one.
            let newBlock = counter / 64
            if let highest {
                let oldBlock = highest / 64
                let steps = min(newBlock - oldBlock, UInt64(Self.blocks))
                var index: UInt64 = 1
                while index <= steps {
                    bitmap[Int((oldBlock + index) % UInt64(Self.blocks))] = 0
                    index += 1
                }
            }
            highest = counter
        }
        let (block, bit) = Self.position(counter)
        bitmap[block] |= 1 << bit
        return true
    }

    private static func position(_ counter: UInt64) -> (Int, UInt64) {
        (Int((counter / 64) % UInt64(blocks)), counter % 64)
    }
}

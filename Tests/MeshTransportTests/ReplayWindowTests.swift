import MeshCore
import MeshTransport
import Testing

@Suite struct ReplayWindowTests {
    @Test func acceptsEachCounterOnce() {
        var window = ReplayWindow()
        #expect(accept(&window, 0))
        #expect(!accept(&window, 0))
        #expect(accept(&window, 1))
        #expect(!accept(&window, 1))
    }

    @Test func acceptsReorderedCountersInsideTheWindow() {
        var window = ReplayWindow()
        #expect(accept(&window, 5000))
        #expect(accept(&window, 4999))
        #expect(accept(&window, 5000 - ReplayWindow.windowSize + 1))
        #expect(!accept(&window, 5000 - ReplayWindow.windowSize))
        #expect(!accept(&window, 4999))
    }

    @Test func windowIsAtLeast2048() {
        #expect(ReplayWindow.windowSize >= 2048)
    }

    @Test func largeJumpsForgetOldBits() {
        var window = ReplayWindow()
        #expect(accept(&window, 10))
        #expect(accept(&window, 1_000_000))
        #expect(!accept(&window, 10))
        #expect(accept(&window, 1_000_000 - 64))
        #expect(accept(&window, 999_999))
    }

    @Test func matchesANaiveModelOnRandomSequences() {
        var generator = Xoshiro256StarStar(seed: 11)
        var window = ReplayWindow()
        var seen = Set<UInt64>()
        var highest: UInt64?
        for _ in 0..<50_000 {
            let base = highest ?? 0
            let step = generator.next() % 5000
            let counter = generator.next() % 3 == 0 ? base + step : (base >= step ? base - step : 0)
            let expected: Bool
            if seen.contains(counter) {
                expected = false
            } else if let highest, counter < highest, highest - counter >= ReplayWindow.windowSize {
                expected = false
            } else {
                expected = true
            }
            #expect(
                accept(&window, counter) == expected, "counter \(counter) after highest \(String(describing: highest))")
            if expected {
                seen.insert(counter)
                highest = max(highest ?? counter, counter)
            }
        }
    }

    /// `accept` outside the `#expect` macro, which cannot call mutating methods.
    private func accept(_ window: inout ReplayWindow, _ counter: UInt64) -> Bool {
        window.accept(counter)
    }
}

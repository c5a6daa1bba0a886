import MeshCore
import MeshCrypto
import Testing

@Suite("System random generator")
struct SystemRandomTests {
    @Test("two 32-byte draws differ")
    func drawsDiffer() {
        var random = SystemRandom()
        let first = random.bytes32()
        let second = random.bytes32()
        #expect(first != second)
    }

    @Test("draws from two generators differ")
    func generatorsDiffer() {
        var firstGenerator = SystemRandom()
        var secondGenerator = SystemRandom()
        let first = firstGenerator.bytes32()
        let second = secondGenerator.bytes32()
        #expect(first != second)
    }

    @Test("a 32-byte draw is not all zeros")
    func drawIsNotZero() {
        var random = SystemRandom()
        let drawn = random.bytes32()
        #expect(drawn != Bytes32.zero)
    }

    @Test("a fill writes every byte of a large buffer")
    func fillCoversWholeBuffer() {
        // Each of 4096 bytes stays zero with probability 1/256; all 16 bytes of the last block staying zero would
        // mean the fill stopped short.
        var random = SystemRandom()
        var buffer = repeated(0, count: 4096)
        buffer.withUnsafeMutableBytes { random.fill($0) }
        #expect(Array(buffer.suffix(16)) != repeated(0, count: 16))
        #expect(Array(buffer.prefix(16)) != repeated(0, count: 16))
    }

    @Test("successive 64-bit values differ")
    func nextValuesDiffer() {
        var random = SystemRandom()
        let first = random.next()
        let second = random.next()
        #expect(first != second)
    }

    @Test("symmetric keys drawn from it differ")
    func drawnKeysDiffer() {
        var random = SystemRandom()
        let first = SymmetricKey(using: &random)
        let second = SymmetricKey(using: &random)
        #expect(first != second)
    }
}

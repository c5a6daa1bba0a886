import MeshCore

/// An element of the field of integers modulo p = 2^255 - 19, in five 51-bit limbs (radix 2^51), for the one
/// computation libsodium does not expose: mapping an Edwards25519 point to its Montgomery u-coordinate,
/// u = (1 + y) / (1 - y) (RFC 7748, section 4.1).
///
/// Why it exists: an X25519 public key computed by libsodium's `crypto_scalarmult_base` runs the Montgomery ladder
/// (41 µs on the development machine), while the same point computed on the Edwards curve with libsodium's
/// precomputed table (`crypto_scalarmult_ed25519_base_noclamp`) costs 17 µs plus this inversion (a few µs). Every
/// handshake creates an ephemeral key on each side, so this is most of a handshake's non-Diffie-Hellman cost.
///
/// Variable-time by design, and only ever applied to public values (a public key's y-coordinate): do not use it on
/// secrets. Limbs stay below 2^52 between operations, so products of two limbs times 19 fit easily in 128 bits.
struct Curve25519FieldElement {
    private static let mask: UInt64 = (1 << 51) - 1

    private var limbs: (UInt64, UInt64, UInt64, UInt64, UInt64)

    private init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        limbs = (l0, l1, l2, l3, l4)
    }

    /// One.
    static let one = Curve25519FieldElement(1, 0, 0, 0, 0)

    /// The element whose little-endian encoding is `bytes`, ignoring the top bit (as RFC 7748 says for u and as the
    /// Edwards encoding uses it for the sign of x).
    init(littleEndian bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "a field element is encoded in 32 bytes")
        let w0 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let w1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let w2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let w3 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        self.init(
            w0 & Self.mask, (w0 >> 51 | w1 << 13) & Self.mask, (w1 >> 38 | w2 << 26) & Self.mask,
            (w2 >> 25 | w3 << 39) & Self.mask, (w3 >> 12) & Self.mask)
    }

    /// The canonical (fully reduced) 32-byte little-endian encoding.
    var littleEndianBytes: Bytes32 {
        var (l0, l1, l2, l3, l4) = Self.carried(limbs)
        // A carry out of the top limb adds 19 to limb 0, which can (rarely) need another pass.
        while (l0 | l1 | l2 | l3 | l4) >> 51 != 0 { (l0, l1, l2, l3, l4) = Self.carried((l0, l1, l2, l3, l4)) }
        // Below 2^255 now; the values p...2^255 - 1 still need one subtraction of p.
        if l0 >= Self.mask - 18 && l1 == Self.mask && l2 == Self.mask && l3 == Self.mask && l4 == Self.mask {
            l0 -= Self.mask - 18
            (l1, l2, l3, l4) = (0, 0, 0, 0)
        }
        let words = (l0 | l1 << 51, l1 >> 13 | l2 << 38, l2 >> 26 | l3 << 25, l3 >> 39 | l4 << 12)
        return Bytes32.filling { out in
            out.storeBytes(of: words.0.littleEndian, toByteOffset: 0, as: UInt64.self)
            out.storeBytes(of: words.1.littleEndian, toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: words.2.littleEndian, toByteOffset: 16, as: UInt64.self)
            out.storeBytes(of: words.3.littleEndian, toByteOffset: 24, as: UInt64.self)
        }
    }

    /// Propagates carries twice: every limb ends below 2^52 (limb 0 can keep a final +19), ready for `*` and `-`.
    private static func carried(
        _ l: (UInt64, UInt64, UInt64, UInt64, UInt64)
    ) -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        var (l0, l1, l2, l3, l4) = l
        for _ in 0..<2 {
            l1 += l0 >> 51
            l0 &= mask
            l2 += l1 >> 51
            l1 &= mask
            l3 += l2 >> 51
            l2 &= mask
            l4 += l3 >> 51
            l3 &= mask
            l0 += 19 * (l4 >> 51)
            l4 &= mask
        }
        return (l0, l1, l2, l3, l4)
    }

    static func + (a: Self, b: Self) -> Self {
        let sum = (
            a.limbs.0 + b.limbs.0, a.limbs.1 + b.limbs.1, a.limbs.2 + b.limbs.2, a.limbs.3 + b.limbs.3,
            a.limbs.4 + b.limbs.4
        )
        var result = Self(0, 0, 0, 0, 0)
        result.limbs = carried(sum)
        return result
    }

    /// a - b, computed as a + 2p - b so that no limb goes negative (b's limbs are below 2^52).
    static func - (a: Self, b: Self) -> Self {
        let twoP0: UInt64 = 2 * ((1 << 51) - 19)
        let twoP: UInt64 = 2 * ((1 << 51) - 1)
        var result = Self(0, 0, 0, 0, 0)
        result.limbs = carried(
            (
                a.limbs.0 + twoP0 - b.limbs.0, a.limbs.1 + twoP - b.limbs.1, a.limbs.2 + twoP - b.limbs.2,
                a.limbs.3 + twoP - b.limbs.3, a.limbs.4 + twoP - b.limbs.4
            ))
        return result
    }

    static func * (a: Self, b: Self) -> Self {
        let (a0, a1, a2, a3, a4) = a.limbs
        let (b0, b1, b2, b3, b4) = b.limbs
        // 2^255 ≡ 19: a limb product that lands at or above limb 5 wraps to limb - 5, times 19.
        let (b1x, b2x, b3x, b4x) = (19 &* b1, 19 &* b2, 19 &* b3, 19 &* b4)
        let r0 = wide(a0, b0) &+ wide(a1, b4x) &+ wide(a2, b3x) &+ wide(a3, b2x) &+ wide(a4, b1x)
        let r1 = wide(a0, b1) &+ wide(a1, b0) &+ wide(a2, b4x) &+ wide(a3, b3x) &+ wide(a4, b2x)
        let r2 = wide(a0, b2) &+ wide(a1, b1) &+ wide(a2, b0) &+ wide(a3, b4x) &+ wide(a4, b3x)
        let r3 = wide(a0, b3) &+ wide(a1, b2) &+ wide(a2, b1) &+ wide(a3, b0) &+ wide(a4, b4x)
        let r4 = wide(a0, b4) &+ wide(a1, b3) &+ wide(a2, b2) &+ wide(a3, b1) &+ wide(a4, b0)
        return reduced(r0, r1, r2, r3, r4)
    }

    /// self², with the symmetric products computed once (15 limb products instead of 25).
    private func squared() -> Self {
        let (a0, a1, a2, a3, a4) = limbs
        let (d0, d1, d2, d3) = (2 &* a0, 2 &* a1, 2 &* a2, 2 &* a3)
        let (a3x, a4x) = (19 &* a3, 19 &* a4)
        let r0 = Self.wide(a0, a0) &+ Self.wide(d1, a4x) &+ Self.wide(d2, a3x)
        let r1 = Self.wide(d0, a1) &+ Self.wide(d2, a4x) &+ Self.wide(a3, a3x)
        let r2 = Self.wide(d0, a2) &+ Self.wide(a1, a1) &+ Self.wide(d3, a4x)
        let r3 = Self.wide(d0, a3) &+ Self.wide(d1, a2) &+ Self.wide(a4, a4x)
        let r4 = Self.wide(d0, a4) &+ Self.wide(d1, a3) &+ Self.wide(a2, a2)
        return Self.reduced(r0, r1, r2, r3, r4)
    }

    /// The full 128-bit product (wrapping arithmetic: the bounds above rule out overflow, and checked 128-bit
    /// arithmetic would cost a 256-bit product per call).
    @inline(__always)
    private static func wide(_ a: UInt64, _ b: UInt64) -> UInt128 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return UInt128(high) << 64 | UInt128(low)
    }

    /// Carries 128-bit limb sums (each below 2^115) back into 51-bit limbs.
    private static func reduced(_ r0: UInt128, _ r1: UInt128, _ r2: UInt128, _ r3: UInt128, _ r4: UInt128) -> Self {
        let m = UInt128(mask)
        var c = r0 >> 51
        let l0 = r0 & m
        let s1 = r1 &+ c
        c = s1 >> 51
        let l1 = s1 & m
        let s2 = r2 &+ c
        c = s2 >> 51
        let l2 = s2 & m
        let s3 = r3 &+ c
        c = s3 >> 51
        let l3 = s3 & m
        let s4 = r4 &+ c
        c = s4 >> 51
        let l4 = s4 & m
        // c < 2^64; c * 19 + l0 < 2^69 fits the 128-bit sum, and one more carry brings limb 0 below 2^51.
        let t0 = l0 &+ c &* 19
        let n0 = UInt64(truncatingIfNeeded: t0 & m)
        let n1 = UInt64(truncatingIfNeeded: l1) &+ UInt64(truncatingIfNeeded: t0 >> 51)
        return Self(
            n0, n1, UInt64(truncatingIfNeeded: l2), UInt64(truncatingIfNeeded: l3), UInt64(truncatingIfNeeded: l4))
    }

    /// self^(2^count), by repeated squaring.
    private func squared(times count: Int) -> Self {
        var x = self
        for _ in 0..<count { x = x.squared() }
        return x
    }

    /// The multiplicative inverse, self^(p - 2) (Fermat), by the addition chain of the ref10 code: 254 squarings and
    /// 11 multiplications. The inverse of zero comes out as zero.
    func inverted() -> Self {
        let z2 = squared()
        let z9 = squared(times: 3) * self  // z^8 · z
        let z11 = z9 * z2
        let z2_5_0 = z11.squared() * z9  // z^(2^5 - 1)
        let z2_10_0 = z2_5_0.squared(times: 5) * z2_5_0
        let z2_20_0 = z2_10_0.squared(times: 10) * z2_10_0
        let z2_40_0 = z2_20_0.squared(times: 20) * z2_20_0
        let z2_50_0 = z2_40_0.squared(times: 10) * z2_10_0
        let z2_100_0 = z2_50_0.squared(times: 50) * z2_50_0
        let z2_200_0 = z2_100_0.squared(times: 100) * z2_100_0
        let z2_250_0 = z2_200_0.squared(times: 50) * z2_50_0
        return z2_250_0.squared(times: 5) * z11  // z^(2^255 - 32 + 11) = z^(p - 2)
    }
}

import Foundation
import MeshCore
import MeshCrypto
import Testing

@testable import MeshMembership

/// Keys and a list shared by the seed list tests.
enum SeedListFixture {
    static let signer = key(1)
    static let otherSigner = key(2)
    static let seedA = key(10).nodeID
    static let seedB = key(11).nodeID
    /// 2026-11-21T00:00:00Z.
    static let generated = Instant(nanosecondsSinceEpoch: 1_795_219_200 * 1_000_000_000)

    static func key(_ n: UInt8) -> Ed25519PrivateKey {
        try! Ed25519PrivateKey(seed: [UInt8](repeating: n, count: 32))
    }

    static func list(seq: UInt64 = 1, network: String = "devnet") -> SeedList {
        try! SeedList(
            network: network, seq: seq, generatedAt: generated, expiresAt: generated + .seconds(180 * 86_400),
            seeds: [
                .init(
                    peerID: seedA,
                    addresses: [try! SocketAddress(text: "127.0.0.1:47001"), try! SocketAddress(text: "[::1]:47001")],
                    operatorName: "Seed operator A", contact: "ops@example.org"),
                .init(
                    peerID: seedB, addresses: [try! SocketAddress(text: "192.0.2.7:47002")],
                    operatorName: "Seed operator B", contact: ""),
            ])
    }

    /// A list's bytes and a signature file signed by `signers`.
    static func signed(_ list: SeedList, by signers: [Ed25519PrivateKey] = [signer]) -> ([UInt8], [UInt8]) {
        let bytes = list.encoded()
        var signatures = SeedListSignatures()
        for key in signers { signatures.sign(bytes, with: key) }
        return (bytes, signatures.encoded())
    }

    /// `text` with one substring replaced (to make an invalid file from a valid one).
    static func replacing(_ old: String, with new: String, in bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        precondition(text.contains(old), "'\(old)' is not in the list")
        return Array(text.replacingOccurrences(of: old, with: new).utf8)
    }
}

@Suite("Seed list format")
struct SeedListFormatTests {
    @Test("a list survives encoding and parsing unchanged")
    func roundTrip() throws {
        let list = SeedListFixture.list()
        #expect(try SeedList(parsing: list.encoded()) == list)
    }

    @Test("the encoding has every field under its documented name")
    func fieldNames() {
        let text = String(decoding: SeedListFixture.list().encoded(), as: UTF8.self)
        for field in [
            "\"format\" : \"signalmesh-seeds/1\"", "\"network\" : \"devnet\"", "\"seq\" : 1",
            "\"generated_at\" : \"2026-11-21T00:00:00Z\"", "\"expires_at\" : \"2027-05-20T00:00:00Z\"",
            "\"peer_id\" : \"\(SeedListFixture.seedA.text)\"", "\"addrs\"", "\"[::1]:47001\"", "\"operator\"",
            "\"contact\" : \"ops@example.org\"",
        ] {
            #expect(text.contains(field), "missing \(field) in \(text)")
        }
    }

    @Test(
        "a malformed list is refused with the field and the problem",
        arguments: [
            ("\"seq\" : 1", "\"seq\" : \"1\"", "seq is not an integer"),
            ("\"seq\" : 1", "\"seq\" : 0", "seq is 0"),
            ("\"seq\" : 1", "\"seq\" : -4", "seq is negative"),
            ("\"network\" : \"devnet\"", "\"network\" : \"Dev Net\"", "network is wrong: the network name 'Dev Net'"),
            ("signalmesh-seeds/1", "signalmesh-seeds/9", "format is 'signalmesh-seeds/9'"),
            ("2027-05-20T00:00:00Z", "2026-01-01T00:00:00Z", "expires_at 2026-01-01T00:00:00Z is not after"),
            ("2026-11-21T00:00:00Z", "21 Nov 2026", "generated_at '21 Nov 2026' is not a UTC time"),
            ("2026-11-21T00:00:00Z", "2026-11-21T00:00:00+01:00", "generated_at '2026-11-21T00:00:00+01:00'"),
            ("127.0.0.1:47001", "127.0.0.1", "seeds[0].addrs[0]"),
            ("192.0.2.7:47002", "192.0.2.7:0", "seeds[1].addrs[0]"),
            ("\"operator\" : \"Seed operator A\"", "\"operator\" : \"\"", "seeds[0].operator is empty"),
            ("\"seq\" : 1", "\"seq\" : 1, \"sqe\" : 2", "field sqe"),
            ("\"contact\" : \"ops@example.org\"", "\"contact\" : \"x\", \"port\" : 1", "field seeds[0].port"),
            ("\"network\" : \"devnet\",", "", "lacks the field network"),
        ])
    func malformedIsRefused(old: String, new: String, expected: String) {
        let bytes = SeedListFixture.replacing(old, with: new, in: SeedListFixture.list().encoded())
        do {
            _ = try SeedList(parsing: bytes)
            Issue.record("accepted a list with \(new)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    @Test("a bad peer id is refused with its position")
    func badPeerID() {
        let bytes = SeedListFixture.replacing(
            SeedListFixture.seedB.text, with: "sm1notanodeid", in: SeedListFixture.list().encoded())
        #expect(describe { try SeedList(parsing: bytes) }.contains("seeds[1].peer_id"))
    }

    @Test("the same peer twice is refused")
    func duplicatePeer() {
        let bytes = SeedListFixture.replacing(
            SeedListFixture.seedB.text, with: SeedListFixture.seedA.text, in: SeedListFixture.list().encoded())
        #expect(describe { try SeedList(parsing: bytes) }.contains("seeds[1].peer_id repeats seeds[0].peer_id"))
    }

    @Test("bytes that are not JSON, and oversized files, are refused")
    func notJSONOrTooLarge() {
        #expect(describe { try SeedList(parsing: Array("{\"format\": ".utf8)) }.contains("not valid JSON"))
        #expect(describe { try SeedList(parsing: [0xFF, 0xFE]) }.contains("not valid JSON"))
        let huge = [UInt8](repeating: 0x20, count: SeedList.maxBytes + 1)
        #expect(throws: SeedListError.tooLarge(SeedList.maxBytes + 1, limit: SeedList.maxBytes)) {
            try SeedList(parsing: huge)
        }
    }
}

@Suite("Seed list verification")
struct SeedListVerificationTests {
    let trust = SeedListTrust(signers: [SeedListFixture.signer.nodeID])
    let now = SeedListFixture.generated + .seconds(3600)

    @Test("a list signed by the pinned signer is accepted, with its seq and digest")
    func accepted() throws {
        let (list, signatures) = SeedListFixture.signed(SeedListFixture.list(seq: 4))
        let verified = try SeedListVerifier.verify(
            list: list, signatures: signatures, trust: trust, network: "devnet", previous: nil, now: now)
        #expect(verified.list == SeedListFixture.list(seq: 4))
        #expect(verified.accepted == AcceptedSeedList(seq: 4, digest: SHA256.hash(list)))
        #expect(verified.trustedSigners == [SeedListFixture.signer.nodeID])
        #expect(verified.warnings.isEmpty)
    }

    @Test("one changed byte after signing fails the signature")
    func tamperedList() {
        let (list, signatures) = SeedListFixture.signed(SeedListFixture.list())
        let tampered = SeedListFixture.replacing("47002", with: "47003", in: list)
        #expect(throws: SeedListError.invalidSignature(signer: SeedListFixture.signer.nodeID)) {
            try SeedListVerifier.verify(
                list: tampered, signatures: signatures, trust: trust, network: "devnet", previous: nil, now: now)
        }
    }

    @Test("a list signed only by an unpinned key is refused, naming that key")
    func untrustedSigner() {
        let (list, signatures) = SeedListFixture.signed(SeedListFixture.list(), by: [SeedListFixture.otherSigner])
        #expect(
            throws: SeedListError.notEnoughTrustedSignatures(
                valid: 0, required: 1, untrustedSigners: [SeedListFixture.otherSigner.nodeID])
        ) {
            try SeedListVerifier.verify(
                list: list, signatures: signatures, trust: trust, network: "devnet", previous: nil, now: now)
        }
    }

    @Test("a threshold of two needs two pinned signers")
    func threshold() throws {
        let twoOfTwo = SeedListTrust(
            signers: [SeedListFixture.signer.nodeID, SeedListFixture.otherSigner.nodeID], threshold: 2)
        let (list, one) = SeedListFixture.signed(SeedListFixture.list())
        #expect(throws: SeedListError.notEnoughTrustedSignatures(valid: 1, required: 2, untrustedSigners: [])) {
            try SeedListVerifier.verify(
                list: list, signatures: one, trust: twoOfTwo, network: "devnet", previous: nil, now: now)
        }
        let (_, both) = SeedListFixture.signed(
            SeedListFixture.list(), by: [SeedListFixture.signer, SeedListFixture.otherSigner])
        let verified = try SeedListVerifier.verify(
            list: list, signatures: both, trust: twoOfTwo, network: "devnet", previous: nil, now: now)
        #expect(verified.trustedSigners.count == 2)
    }

    @Test("a lower seq than the accepted one is refused; the same list again is accepted")
    func seqMustNotGoBack() throws {
        let (list, signatures) = SeedListFixture.signed(SeedListFixture.list(seq: 5))
        let accepted = try SeedListVerifier.verify(
            list: list, signatures: signatures, trust: trust, network: "devnet", previous: nil, now: now
        ).accepted
        let again = try SeedListVerifier.verify(
            list: list, signatures: signatures, trust: trust, network: "devnet", previous: accepted, now: now)
        #expect(again.accepted == accepted)
        let (older, olderSignatures) = SeedListFixture.signed(SeedListFixture.list(seq: 4))
        #expect(throws: SeedListError.seqNotNewer(seq: 4, accepted: 5)) {
            try SeedListVerifier.verify(
                list: older, signatures: olderSignatures, trust: trust, network: "devnet", previous: accepted,
                now: now)
        }
    }

    @Test("other contents under the accepted seq are refused")
    func seqReuse() throws {
        let (list, signatures) = SeedListFixture.signed(SeedListFixture.list(seq: 5))
        let accepted = try SeedListVerifier.verify(
            list: list, signatures: signatures, trust: trust, network: "devnet", previous: nil, now: now
        ).accepted
        var changed = SeedListFixture.list(seq: 5)
        changed.seeds.removeLast()
        let (changedBytes, changedSignatures) = SeedListFixture.signed(changed)
        #expect(throws: SeedListError.seqReused(5)) {
            try SeedListVerifier.verify(
                list: changedBytes, signatures: changedSignatures, trust: trust, network: "devnet",
                previous: accepted, now: now)
        }
    }

    @Test("a list for another network is refused")
    func wrongNetwork() {
        let (list, signatures) = SeedListFixture.signed(SeedListFixture.list(network: "mainnet"))
        #expect(throws: SeedListError.wrongNetwork(expected: "devnet", found: "mainnet")) {
            try SeedListVerifier.verify(
                list: list, signatures: signatures, trust: trust, network: "devnet", previous: nil, now: now)
        }
    }

    @Test("an expired list is accepted with a warning; one from the future warns too")
    func expiryWarns() throws {
        let list = SeedListFixture.list()
        let (bytes, signatures) = SeedListFixture.signed(list)
        let late = try SeedListVerifier.verify(
            list: bytes, signatures: signatures, trust: trust, network: "devnet", previous: nil,
            now: list.expiresAt + .seconds(1))
        #expect(late.warnings == [.expired(since: list.expiresAt)])
        let early = try SeedListVerifier.verify(
            list: bytes, signatures: signatures, trust: trust, network: "devnet", previous: nil,
            now: list.generatedAt - .seconds(3600))
        #expect(early.warnings == [.generatedInTheFuture(list.generatedAt)])
    }

    @Test("a signature over the list without the context prefix does not verify")
    func contextIsBound() {
        let list = SeedListFixture.list().encoded()
        let raw = SeedListSignatures(entries: [
            .init(signer: SeedListFixture.signer.nodeID, signature: SeedListFixture.signer.signature(for: list))
        ])
        #expect(throws: SeedListError.invalidSignature(signer: SeedListFixture.signer.nodeID)) {
            try SeedListVerifier.verify(
                list: list, signatures: raw.encoded(), trust: trust, network: "devnet", previous: nil, now: now)
        }
    }
}

@Suite("Seed list signature files")
struct SeedListSignatureFileTests {
    @Test("a signature file survives encoding and parsing; signing again replaces the signer's line")
    func roundTrip() throws {
        let list = SeedListFixture.list().encoded()
        var file = SeedListSignatures()
        file.sign(list, with: SeedListFixture.signer)
        file.sign(list, with: SeedListFixture.otherSigner)
        file.sign(list, with: SeedListFixture.signer)
        #expect(file.entries.map(\.signer) == [SeedListFixture.signer.nodeID, SeedListFixture.otherSigner.nodeID])
        #expect(try SeedListSignatures(parsing: file.encoded()) == file)
    }

    @Test(
        "malformed lines are refused with their number",
        arguments: [
            ("ed25519 sm1abc", "line 1 of the signature file has 2 fields"),
            ("rsa \(SeedListFixture.signer.nodeID.text) AAAA", "names algorithm 'rsa'"),
            ("ed25519 sm1zzz AAAA", "bad signer id"),
            ("ed25519 \(SeedListFixture.signer.nodeID.text) AAAA", "not 64 bytes of base64"),
            ("# comment\n\ned25519 \(SeedListFixture.signer.nodeID.text) !!", "line 3"),
        ])
    func malformedLines(text: String, expected: String) {
        #expect(describe { try SeedListSignatures(parsing: Array(text.utf8)) }.contains(expected))
    }

    @Test("a signer may appear only once")
    func repeatedSigner() {
        let list = SeedListFixture.list().encoded()
        var file = SeedListSignatures()
        file.sign(list, with: SeedListFixture.signer)
        let line = String(decoding: file.encoded(), as: UTF8.self).split(separator: "\n")[1]
        let doubled = Array("\(line)\n\(line)\n".utf8)
        #expect(describe { try SeedListSignatures(parsing: doubled) }.contains("repeats signer"))
    }
}

/// The description of the error `body` throws, or "" if it returns.
func describe<T>(_ body: () throws -> T) -> String {
    do {
        _ = try body()
        return ""
    } catch let error as SeedListError {
        return error.description
    } catch {
        return "not a SeedListError: \(error)"
    }
}

@Suite("The bundled example seed list")
struct BundledSeedListTests {
    /// The repository's root, from this file's path (Tests/MeshMembershipTests/SeedListTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("Bootstrap/example verifies against the signer named in Bootstrap/README.md")
    func exampleVerifies() throws {
        let list = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent("Bootstrap/example/seeds.json")))
        let signatures = try [UInt8](
            Data(contentsOf: Self.root.appendingPathComponent("Bootstrap/example/seeds.json.sig")))
        let readme = try String(
            contentsOf: Self.root.appendingPathComponent("Bootstrap/README.md"), encoding: .utf8)
        let signer = try NodeID(text: "sm1a0he2gt38pa6npl49uecm2d6lj9cd34ydk069cfa094f45y0p4lqphgshp")
        #expect(readme.contains(signer.text))
        let parsed = try SeedList(parsing: list)
        let verified = try SeedListVerifier.verify(
            list: list, signatures: signatures, trust: SeedListTrust(signers: [signer]), network: "main",
            previous: nil, now: parsed.generatedAt)
        #expect(verified.list.seeds.count == 3)
        #expect(verified.trustedSigners == [signer])
    }
}

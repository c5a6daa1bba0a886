public import MeshCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A bootstrap seed list (`Specs/bootstrap.md`): the peers a node contacts first, published by a signer as JSON with
/// a sequence number and a validity period, and signed in a detached file (`SeedListSignatures`).
///
/// Parsing is strict: a field that is missing, unknown, of the wrong type or out of range is refused with an error
/// that names the field (`seeds[2].addrs[0]`) and what was wrong, because a seed list comes from outside.
public struct SeedList: Sendable, Equatable {
    /// The value of the `format` field this code reads and writes.
    public static let format = "signalmesh-seeds/1"
    /// The largest seed list file accepted, 1 MiB.
    public static let maxBytes = 1 << 20
    /// At most this many seeds in one list.
    public static let maxSeeds = 256
    /// At most this many addresses per seed.
    public static let maxAddressesPerSeed = 8
    /// The longest `operator` and `contact` texts, in characters.
    public static let maxTextLength = 200

    /// One seed: a peer and where it listens.
    public struct Seed: Sendable, Equatable {
        /// The seed's node id, which a node needs to open a Noise IK handshake to it.
        public var peerID: NodeID
        /// IP literals with ports; a node tries them in order.
        public var addresses: [SocketAddress]
        /// Who runs the seed (a person or organisation), for people reading the list.
        public var operatorName: String
        /// How to reach the operator (an email address or URL); may be empty.
        public var contact: String

        /// A seed entry (checked when the list is made).
        public init(peerID: NodeID, addresses: [SocketAddress], operatorName: String, contact: String) {
            self.peerID = peerID
            self.addresses = addresses
            self.operatorName = operatorName
            self.contact = contact
        }
    }

    /// The network the list is for (`NetworkName` rules); a node refuses a list for another network.
    public var network: String
    /// Rises with every new list from the same signers; a node refuses a lower one than it has seen.
    public var seq: UInt64
    /// When the list was made (whole seconds, UTC).
    public var generatedAt: Instant
    /// After this the list is stale: still used, with a warning, until a newer one arrives.
    public var expiresAt: Instant
    /// The seeds, 1 to `maxSeeds`, each peer once.
    public var seeds: [Seed]

    /// A list, checked as `init(parsing:)` checks a parsed one.
    /// - Throws: `SeedListError.invalidField` naming the first field that is out of range.
    public init(
        network: String, seq: UInt64, generatedAt: Instant, expiresAt: Instant, seeds: [Seed]
    ) throws(SeedListError) {
        self.network = network
        self.seq = seq
        self.generatedAt = generatedAt
        self.expiresAt = expiresAt
        self.seeds = seeds
        try validate()
    }

    /// Parses and checks the bytes of a seed list file.
    /// - Throws: `SeedListError` saying which field is wrong and how.
    public init(parsing bytes: [UInt8]) throws(SeedListError) {
        guard bytes.count <= Self.maxBytes else { throw .tooLarge(bytes.count, limit: Self.maxBytes) }
        let file: SeedListFile
        do {
            file = try JSONDecoder().decode(SeedListFile.self, from: Data(bytes))
        } catch let error as SeedListError {
            throw error
        } catch let error as DecodingError {
            throw SeedListError(error)
        } catch {
            throw .notJSON(String(describing: error))
        }
        guard file.format == Self.format else {
            throw .invalidField(
                path: "format", problem: "is '\(file.format)'; this node reads '\(Self.format)' lists")
        }
        guard file.seq >= 0 else { throw .invalidField(path: "seq", problem: "is negative (\(file.seq))") }
        network = file.network
        seq = UInt64(file.seq)
        generatedAt = try Self.instant(file.generatedAt, path: "generated_at")
        expiresAt = try Self.instant(file.expiresAt, path: "expires_at")
        var seeds: [Seed] = []
        for (index, entry) in file.seeds.prefix(Self.maxSeeds + 1).enumerated() {
            let path = "seeds[\(index)]"
            let peerID: NodeID
            do {
                peerID = try NodeID(text: entry.peerID)
            } catch {
                throw .invalidField(path: "\(path).peer_id", problem: error.description)
            }
            var addresses: [SocketAddress] = []
            for (position, text) in entry.addrs.prefix(Self.maxAddressesPerSeed + 1).enumerated() {
                do {
                    addresses.append(try SocketAddress(text: text))
                } catch {
                    throw .invalidField(path: "\(path).addrs[\(position)]", problem: error.description)
                }
            }
            seeds.append(
                Seed(peerID: peerID, addresses: addresses, operatorName: entry.operatorName, contact: entry.contact))
        }
        self.seeds = seeds
        try validate()
    }

    /// The list as a file: JSON with sorted keys, two-space indentation and a final newline. Sign these bytes.
    public func encoded() -> [UInt8] {
        let file = SeedListFile(
            format: Self.format, network: network, seq: Int64(clamping: seq),
            generatedAt: Self.text(generatedAt), expiresAt: Self.text(expiresAt),
            seeds: seeds.map {
                SeedListFile.Entry(
                    peerID: $0.peerID.text, addrs: $0.addresses.map(\.description), operatorName: $0.operatorName,
                    contact: $0.contact)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return Array(try! encoder.encode(file)) + Array("\n".utf8)
    }

    /// Whether `now` is past `expiresAt`.
    public func isExpired(at now: Instant) -> Bool { now > expiresAt }

    // MARK: Checks

    private func validate() throws(SeedListError) {
        if let problem = NetworkName.problem(with: network) {
            throw .invalidField(path: "network", problem: "is wrong: \(problem)")
        }
        guard seq >= 1 && seq <= Self.maxSeq else {
            throw .invalidField(path: "seq", problem: "is \(seq); it must be from 1 to \(Self.maxSeq)")
        }
        guard expiresAt > generatedAt else {
            throw .invalidField(
                path: "expires_at",
                problem: "\(Self.text(expiresAt)) is not after generated_at \(Self.text(generatedAt))")
        }
        guard !seeds.isEmpty else { throw .invalidField(path: "seeds", problem: "is empty; a list needs a seed") }
        guard seeds.count <= Self.maxSeeds else {
            throw .invalidField(path: "seeds", problem: "has more than \(Self.maxSeeds) entries")
        }
        var seen: [NodeID: Int] = [:]
        for (index, seed) in seeds.enumerated() {
            let path = "seeds[\(index)]"
            if let first = seen[seed.peerID] {
                throw .invalidField(path: "\(path).peer_id", problem: "repeats seeds[\(first)].peer_id")
            }
            seen[seed.peerID] = index
            guard !seed.addresses.isEmpty else {
                throw .invalidField(path: "\(path).addrs", problem: "is empty; a seed needs an address")
            }
            guard seed.addresses.count <= Self.maxAddressesPerSeed else {
                throw .invalidField(
                    path: "\(path).addrs", problem: "has more than \(Self.maxAddressesPerSeed) addresses")
            }
            guard Set(seed.addresses).count == seed.addresses.count else {
                throw .invalidField(path: "\(path).addrs", problem: "names an address twice")
            }
            for (position, address) in seed.addresses.enumerated() where address.port == 0 {
                throw .invalidField(path: "\(path).addrs[\(position)]", problem: "has port 0")
            }
            try Self.checkText(seed.operatorName, path: "\(path).operator", mayBeEmpty: false)
            try Self.checkText(seed.contact, path: "\(path).contact", mayBeEmpty: true)
        }
    }

    /// The largest `seq`, 2^53 - 1: the largest integer every JSON reader holds exactly.
    public static let maxSeq: UInt64 = (1 << 53) - 1

    private static func checkText(_ text: String, path: String, mayBeEmpty: Bool) throws(SeedListError) {
        if text.isEmpty && !mayBeEmpty { throw .invalidField(path: path, problem: "is empty") }
        guard text.count <= maxTextLength else {
            throw .invalidField(path: path, problem: "is longer than \(maxTextLength) characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidField(path: path, problem: "contains a control character")
        }
    }

    /// An RFC 3339 UTC timestamp in whole seconds, `2026-11-21T00:00:00Z`.
    static func instant(_ text: String, path: String) throws(SeedListError) -> Instant {
        guard text.utf8.count == 20, text.hasSuffix("Z"),
            let date = try? Date(text, strategy: .iso8601),
            let seconds = Int64(exactly: date.timeIntervalSince1970.rounded(.towardZero)),
            Self.text(Instant(nanosecondsSinceEpoch: seconds * 1_000_000_000)) == text
        else {
            throw .invalidField(
                path: path, problem: "'\(text)' is not a UTC time in the form 2026-11-21T00:00:00Z")
        }
        return Instant(nanosecondsSinceEpoch: seconds * 1_000_000_000)
    }

    /// `instant` as `2026-11-21T00:00:00Z` (whole seconds, rounded down).
    public static func text(_ instant: Instant) -> String {
        Date(timeIntervalSince1970: Double(instant.secondsSinceEpoch)).formatted(.iso8601)
    }
}

/// The JSON shape of a seed list file, decoded strictly: unknown keys are refused.
struct SeedListFile: Codable {
    struct Entry: Codable {
        var peerID: String
        var addrs: [String]
        var operatorName: String
        var contact: String

        enum CodingKeys: String, CodingKey, CaseIterable {
            case peerID = "peer_id"
            case addrs
            case operatorName = "operator"
            case contact
        }

        init(peerID: String, addrs: [String], operatorName: String, contact: String) {
            self.peerID = peerID
            self.addrs = addrs
            self.operatorName = operatorName
            self.contact = contact
        }

        init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            peerID = try container.decode(String.self, forKey: .peerID)
            addrs = try container.decode([String].self, forKey: .addrs)
            operatorName = try container.decode(String.self, forKey: .operatorName)
            contact = try container.decodeIfPresent(String.self, forKey: .contact) ?? ""
        }
    }

    var format: String
    var network: String
    var seq: Int64
    var generatedAt: String
    var expiresAt: String
    var seeds: [Entry]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, network, seq
        case generatedAt = "generated_at"
        case expiresAt = "expires_at"
        case seeds
    }

    init(format: String, network: String, seq: Int64, generatedAt: String, expiresAt: String, seeds: [Entry]) {
        self.format = format
        self.network = network
        self.seq = seq
        self.generatedAt = generatedAt
        self.expiresAt = expiresAt
        self.seeds = seeds
    }

    init(from decoder: any Decoder) throws {
        try refuseUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(String.self, forKey: .format)
        network = try container.decode(String.self, forKey: .network)
        seq = try container.decode(Int64.self, forKey: .seq)
        generatedAt = try container.decode(String.self, forKey: .generatedAt)
        expiresAt = try container.decode(String.self, forKey: .expiresAt)
        seeds = try container.decode([Entry].self, forKey: .seeds)
    }
}

/// Any key, to list the keys an object has.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws `SeedListError.unknownField` for the first key of the object at `decoder` that is not in `known` (in
/// sorted order, so the error is the same every time).
private func refuseUnknownKeys(in decoder: any Decoder, known: [String]) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
    if let first = unknown.first {
        throw SeedListError.unknownField(path: SeedListError.path(decoder.codingPath + [AnyKey(stringValue: first)]))
    }
}

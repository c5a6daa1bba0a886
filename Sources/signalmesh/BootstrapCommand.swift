import ArgumentParser
import Foundation
import MeshCore
import MeshCrypto
import MeshMembership

/// `signalmesh bootstrap`: makes, signs and checks seed lists (`Specs/bootstrap.md`).
struct BootstrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Make, sign and verify bootstrap seed lists.",
        discussion: """
            A seed list names the peers a node contacts first. Its signer makes it (`make`), signs it with a key \
            nodes pin (`sign`, which writes FILE.sig), and publishes both files; anyone can check them against \
            the signer's node id (`verify`). The format is in Specs/bootstrap.md.
            """,
        subcommands: [BootstrapMakeCommand.self, BootstrapSignCommand.self, BootstrapVerifyCommand.self]
    )
}

/// `signalmesh bootstrap make`: writes a new seed list, or the next version of one.
struct BootstrapMakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make",
        abstract: "Write a seed list (unsigned: sign it next with `bootstrap sign`).",
        discussion: """
            Each --seed is <node-id>@<host:port>[,<host:port>...] with IP literals, e.g. \
            sm1…@192.0.2.7:47001,[2001:db8::7]:47001. With --from, the list starts from an existing one: its \
            network, seeds and operators are kept, --seed entries are added (or replace the entry with that node \
            id), --remove entries are dropped, and seq becomes the old seq + 1 unless --seq is given.
            """
    )

    @Option(name: .long, help: "The network the list is for (required without --from).")
    var network: String?

    @Option(name: .long, help: "The sequence number (default 1, or the --from list's seq + 1).")
    var seq: UInt64?

    @Option(name: .long, help: "Days the list stays valid from now (default 180).")
    var validDays = 180

    @Option(name: .long, parsing: .singleValue, help: "A seed: <node-id>@<host:port>[,<host:port>...].")
    var seed: [String] = []

    @Option(name: .long, help: "Who runs the seeds given with --seed (required with --seed).")
    var `operator`: String?

    @Option(name: .long, help: "How to reach that operator, e.g. an email address (optional).")
    var contact = ""

    @Option(name: .long, help: "An existing seed list to start from.")
    var from: String?

    @Option(name: .long, parsing: .singleValue, help: "A node id to drop from the --from list.")
    var remove: [String] = []

    @Option(name: [.short, .long], help: "Where to write the list (default: standard output).")
    var output: String?

    func validate() throws {
        guard (1...3650).contains(validDays) else { throw ValidationError("--valid-days must be from 1 to 3650") }
        guard from != nil || network != nil else { throw ValidationError("give --network, or --from an existing list") }
        guard seed.isEmpty || `operator` != nil else {
            throw ValidationError("--seed needs --operator: who runs these seeds")
        }
        guard from != nil || !seed.isEmpty else { throw ValidationError("a new list needs at least one --seed") }
        guard remove.isEmpty || from != nil else { throw ValidationError("--remove needs --from") }
    }

    func run() throws {
        var seeds: [SeedList.Seed] = []
        var listNetwork = network
        var listSeq = seq ?? 1
        if let from {
            let previous = try parseSeedList(FileIO.read(from, limit: SeedList.maxBytes, what: "seed list"), path: from)
            seeds = previous.seeds
            if let network, network != previous.network {
                throw CLIFailure.usage("--network \(network) differs from the network \(previous.network) of \(from)")
            }
            listNetwork = previous.network
            listSeq = seq ?? previous.seq + 1
            if listSeq <= previous.seq {
                Output.note(
                    "warning: seq \(listSeq) is not above \(from)'s \(previous.seq); nodes that have it refuse this list"
                )
            }
        }
        for text in remove {
            let id = try Self.nodeID(text, option: "--remove")
            guard seeds.contains(where: { $0.peerID == id }) else {
                throw CLIFailure.usage("--remove \(text): that node is not in the list")
            }
            seeds.removeAll { $0.peerID == id }
        }
        for text in seed {
            let entry = try Self.seed(text, operatorName: `operator` ?? "", contact: contact)
            if let index = seeds.firstIndex(where: { $0.peerID == entry.peerID }) {
                seeds[index] = entry
            } else {
                seeds.append(entry)
            }
        }
        let now = Instant(nanosecondsSinceEpoch: Int64(Date().timeIntervalSince1970) * 1_000_000_000)
        let list: SeedList
        do {
            list = try SeedList(
                network: listNetwork ?? "", seq: listSeq, generatedAt: now,
                expiresAt: now + .seconds(Int64(validDays) * 86_400), seeds: seeds)
        } catch {
            throw CLIFailure.usage(error.description)
        }
        if let output {
            try FileIO.writeAtomically(list.encoded(), to: output, what: "seed list")
            Output.note(
                "wrote \(output): network \(list.network), seq \(list.seq), \(list.seeds.count) seed(s); "
                    + "sign it with `signalmesh bootstrap sign \(output)`")
        } else {
            FileHandle.standardOutput.write(Data(list.encoded()))
        }
    }

    /// A `--seed` value.
    static func seed(_ text: String, operatorName: String, contact: String) throws(CLIFailure) -> SeedList.Seed {
        guard let at = text.firstIndex(of: "@") else {
            throw .usage("--seed '\(text)' is not <node-id>@<host:port>[,<host:port>...]")
        }
        let id = try nodeID(String(text[..<at]), option: "--seed")
        var addresses: [SocketAddress] = []
        for part in text[text.index(after: at)...].split(separator: ",", omittingEmptySubsequences: false) {
            do {
                addresses.append(try SocketAddress(text: String(part)))
            } catch {
                throw .usage("--seed \(id.shortText)…: the address '\(part)' is wrong: \(error.description)")
            }
        }
        return SeedList.Seed(peerID: id, addresses: addresses, operatorName: operatorName, contact: contact)
    }

    static func nodeID(_ text: String, option: String) throws(CLIFailure) -> NodeID {
        do {
            return try NodeID(text: text)
        } catch {
            throw .usage("\(option): '\(text)' is not a node id: \(error.description)")
        }
    }
}

/// `signalmesh bootstrap sign`: adds a key's signature to a seed list's signature file.
struct BootstrapSignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a seed list: add (or replace) this key's line in FILE.sig.",
        discussion: """
            The key is a node key file (--key) or the node.key of a data directory (--datadir, default \
            ~/.signalmesh/main). Nodes trust the list when it carries signatures by the signer ids they pin. The \
            list is checked first: a file that is not a valid seed list is not signed.
            """
    )

    @Argument(help: "The seed list file.")
    var file: String

    @Option(name: .long, help: "A node key file to sign with.")
    var key: String?

    @Option(name: .long, help: "A data directory whose node.key signs (default: ~/.signalmesh/main).")
    var datadir: String?

    @Option(name: .long, help: "The signature file (default: FILE.sig).")
    var signatures: String?

    func validate() throws {
        if key != nil && datadir != nil { throw ValidationError("give either --key or --datadir, not both") }
    }

    func run() throws {
        let list = try FileIO.read(file, limit: SeedList.maxBytes, what: "seed list")
        _ = try parseSeedList(list, path: file)
        let signer = try KeyStore.load(from: key ?? DataDirectory(path: datadir).keyFile)
        let signatureFile = signatures ?? file + ".sig"
        var entries = SeedListSignatures()
        if FileManager.default.fileExists(atPath: signatureFile) {
            do {
                entries = try SeedListSignatures(
                    parsing: FileIO.read(signatureFile, limit: SeedListSignatures.maxBytes, what: "signature file"))
            } catch let error as SeedListError {
                throw CLIFailure.corruptData("\(signatureFile): \(error.description)")
            }
            // Signatures over other contents no longer count: drop them rather than publish dead lines.
            let stale = entries.entries.filter { !SeedListSignatures.isValid($0, over: list) }
            for entry in stale {
                Output.note("dropping the signature by \(entry.signer.text): it is over other contents")
            }
            entries.entries.removeAll { !SeedListSignatures.isValid($0, over: list) }
        }
        entries.sign(list, with: signer)
        try FileIO.writeAtomically(entries.encoded(), to: signatureFile, what: "signature file")
        Output.note("wrote \(signatureFile): \(entries.entries.count) signature(s)")
        print(signer.nodeID.text)
    }
}

/// `signalmesh bootstrap verify`: checks a seed list as a node would.
struct BootstrapVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a seed list and its signatures as a node would, and print it.",
        discussion: """
            Exits with 0 when the list is valid and signed by at least --threshold of the --signer ids (an expired \
            list is valid, with a warning), 65 when it is refused (the reason is printed), 66 when a file is missing.
            """
    )

    @Argument(help: "The seed list file.")
    var file: String

    @Option(name: .long, help: "The signature file (default: FILE.sig).")
    var signatures: String?

    @Option(name: .long, parsing: .singleValue, help: "A trusted signer's node id (repeat for several).")
    var signer: [String] = []

    @Option(name: .long, help: "How many distinct trusted signers must have signed (default 1).")
    var threshold = 1

    @Option(name: .long, help: "The network the list must be for (default: the list's own).")
    var network: String?

    @Option(name: .long, help: "Refuse a seq below this one (the seq a node accepted before).")
    var minSeq: UInt64?

    @Flag(name: .long, help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard !signer.isEmpty else { throw ValidationError("give at least one --signer: the node id you trust") }
        guard (1...signer.count).contains(threshold) else {
            throw ValidationError("--threshold must be from 1 to the number of --signer ids (\(signer.count))")
        }
    }

    func run() throws {
        let list = try FileIO.read(file, limit: SeedList.maxBytes, what: "seed list")
        let signatureBytes = try FileIO.read(
            signatures ?? file + ".sig", limit: SeedListSignatures.maxBytes, what: "signature file")
        var trusted: Set<NodeID> = []
        for text in signer { trusted.insert(try BootstrapMakeCommand.nodeID(text, option: "--signer")) }
        let parsed = try parseSeedList(list, path: file)
        let now = Instant(nanosecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1e9))
        let verified: VerifiedSeedList
        do {
            verified = try SeedListVerifier.verify(
                list: list, signatures: signatureBytes, trust: SeedListTrust(signers: trusted, threshold: threshold),
                network: network ?? parsed.network, previous: nil, now: now)
        } catch {
            throw CLIFailure.corruptData("\(file) refused: \(error.description)")
        }
        if let minSeq, verified.list.seq < minSeq {
            throw CLIFailure.corruptData(
                "\(file) refused: its seq \(verified.list.seq) is below --min-seq \(minSeq) (a replayed older list?)")
        }
        for warning in verified.warnings { Output.note("warning: \(warning.description)") }
        let shown = verified.list
        if json {
            let object: [String: Any] = [
                "network": shown.network, "seq": shown.seq, "generated_at": SeedList.text(shown.generatedAt),
                "expires_at": SeedList.text(shown.expiresAt), "expired": shown.isExpired(at: now),
                "trusted_signers": verified.trustedSigners.map(\.text),
                "seeds": shown.seeds.map {
                    [
                        "peer_id": $0.peerID.text, "addrs": $0.addresses.map(\.description),
                        "operator": $0.operatorName,
                        "contact": $0.contact,
                    ] as [String: Any]
                },
                "warnings": verified.warnings.map(\.description),
            ]
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                "\(file): valid seed list for network \(shown.network), seq \(shown.seq), \(shown.seeds.count) seed(s)")
            print("signed by \(verified.trustedSigners.map(\.text).joined(separator: ", "))")
            print("generated \(SeedList.text(shown.generatedAt)), expires \(SeedList.text(shown.expiresAt))")
            for seed in shown.seeds {
                let contact = seed.contact.isEmpty ? "" : " <\(seed.contact)>"
                print(
                    "  \(seed.peerID.text)  \(seed.addresses.map(\.description).joined(separator: " "))  "
                        + "\(seed.operatorName)\(contact)")
            }
        }
    }
}

/// The seed list in `bytes`, or a failure naming `path` and the problem (exit 65).
private func parseSeedList(_ bytes: [UInt8], path: String) throws(CLIFailure) -> SeedList {
    do {
        return try SeedList(parsing: bytes)
    } catch {
        throw .corruptData("\(path): \(error.description)")
    }
}

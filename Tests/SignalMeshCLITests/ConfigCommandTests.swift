import Foundation
import Testing

/// `signalmesh config show` and the configuration precedence of `run`: flags > SIGNALMESH_* > node.conf > defaults.
@Suite struct ConfigCommandTests {
    /// The rows of `config show --json` as key → (value, origin).
    func show(
        _ arguments: [String], environment: [String: String] = [:]
    ) throws -> (
        status: Int32, rows: [String: (value: String, origin: String)], stderr: String
    ) {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SIGNALMESH_") }
        env.merge(environment) { $1 }
        let result = try CLIProcess.run(["config", "show", "--json"] + arguments, environment: env)
        var rows: [String: (String, String)] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String],
                let key = object["key"]
            else { continue }
            rows[key] = (object["value"] ?? "", object["origin"] ?? "")
        }
        return (result.status, rows, result.stderr)
    }

    @Test func flagsBeatTheEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws {
        let directory = try TemporaryDirectory()
        let conf = directory.path + "/node.conf"
        try Data(
            """
            # a node's settings
            listen = 127.0.0.1:47001
            seed_profile = yes   # a seed node
            seed_threshold = 1
            """.utf8
        ).write(to: URL(fileURLWithPath: conf))
        let fileOnly = try show(["--datadir", directory.path])
        #expect(fileOnly.status == 0, "\(fileOnly.stderr)")
        #expect(fileOnly.rows["listen"]?.value == "127.0.0.1:47001")
        #expect(fileOnly.rows["listen"]?.origin == conf + ":2")
        #expect(fileOnly.rows["seed_profile"]?.value == "true")
        #expect(fileOnly.rows["seeds"]?.origin == "default")
        #expect(fileOnly.rows["network"]?.value == "main")

        let environment = try show(
            ["--datadir", directory.path],
            environment: [
                "SIGNALMESH_LISTEN": "127.0.0.1:47002", "SIGNALMESH_SEED_PROFILE": "false",
                "SIGNALMESH_NETWORK": "staging",
            ])
        #expect(environment.rows["listen"]?.value == "127.0.0.1:47002")
        #expect(environment.rows["listen"]?.origin == "environment SIGNALMESH_LISTEN")
        #expect(environment.rows["seed_profile"]?.value == "false")
        #expect(environment.rows["network"]?.value == "staging")
        #expect(environment.rows["seed_threshold"]?.origin == conf + ":4")

        let flags = try show(
            ["--datadir", directory.path, "--listen", "127.0.0.1:47003", "--seed-profile"],
            environment: ["SIGNALMESH_LISTEN": "127.0.0.1:47002", "SIGNALMESH_SEED_PROFILE": "false"])
        #expect(flags.rows["listen"]?.value == "127.0.0.1:47003")
        #expect(flags.rows["listen"]?.origin == "flag --listen")
        #expect(flags.rows["seed_profile"]?.value == "true")
        #expect(flags.rows["seed_profile"]?.origin == "flag --seed-profile")

        // SIGNALMESH_DATADIR picks the directory (and so the file) when --datadir is not given.
        let byEnvironment = try show([], environment: ["SIGNALMESH_DATADIR": directory.path])
        #expect(byEnvironment.rows["datadir"]?.origin == "environment SIGNALMESH_DATADIR")
        #expect(byEnvironment.rows["listen"]?.value == "127.0.0.1:47001")
    }

    @Test(arguments: [
        ("listen 127.0.0.1:1", "node.conf:1: expected key = value"),
        ("colour = blue", "node.conf:1: unknown key 'colour'"),
        ("network = main", "set it with --network or SIGNALMESH_NETWORK"),
        ("seed_threshold = 1\nseed_threshold = 2", "node.conf:2: seed_threshold is set twice (first on line 1)"),
        ("seed_threshold = many", "node.conf:1: seed_threshold must be a whole number"),
        ("seed_profile = maybe", "seed_profile must be true or false"),
        ("listen = 127.0.0.1:99999", "node.conf:1: --listen 127.0.0.1:99999"),
        ("seed_signer = sm1nope", "seed_signer 'sm1nope' is not a node id"),
        ("seeds = seeds.json", "seeds needs at least one seed_signer"),
        ("listen =", "node.conf:1: listen has no value"),
    ])
    func aWrongFileIsAConfigurationErrorNamingTheLine(content: String, message: String) throws {
        let directory = try TemporaryDirectory()
        try Data(content.utf8).write(to: URL(fileURLWithPath: directory.path + "/node.conf"))
        let result = try show(["--datadir", directory.path])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        // `run` refuses the same file with the same code before it binds anything, even while a flag overrides
        // the wrong line.
        let run = try CLIProcess.run(["run", "--datadir", directory.path, "--listen", "127.0.0.1:0"])
        #expect(run.status == 78, "\(run.stderr)")
    }

    @Test func windowsLineEndingsReadTheSame() throws {
        let directory = try TemporaryDirectory()
        try Data("# written on Windows\r\nlisten = 127.0.0.1:47009\r\nseed_profile = true\r\n".utf8).write(
            to: URL(fileURLWithPath: directory.path + "/node.conf"))
        let result = try show(["--datadir", directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.rows["listen"]?.value == "127.0.0.1:47009")
        #expect(result.rows["listen"]?.origin == directory.path + "/node.conf:2")
        #expect(result.rows["seed_profile"]?.value == "true")
    }

    @Test(arguments: [
        (["SIGNALMESH_LISTEN": ""], "environment SIGNALMESH_LISTEN: listen is empty"),
        (["SIGNALMESH_LISTEN": ","], "environment SIGNALMESH_LISTEN: listen is empty"),
        (["SIGNALMESH_NETWORK": "Bad Name!"], "environment SIGNALMESH_NETWORK: network: the network name"),
        (
            [
                "SIGNALMESH_SEED_SIGNER":
                    "sm1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqgc9umk,"
                    + "sm1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqgc9umk",
                "SIGNALMESH_SEED_THRESHOLD": "2",
            ], "more than the 1 distinct seed_signer"
        ),
    ])
    func wrongEnvironmentValuesAreConfigurationErrors(environment: [String: String], message: String) throws {
        let directory = try TemporaryDirectory()
        let result = try show(["--datadir", directory.path], environment: environment)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func aWrongEnvironmentVariableIsNamedAndATypoWarned() throws {
        let directory = try TemporaryDirectory()
        let wrong = try show(["--datadir", directory.path], environment: ["SIGNALMESH_SEED_THRESHOLD": "0"])
        #expect(wrong.status == 78)
        #expect(wrong.stderr.contains("environment SIGNALMESH_SEED_THRESHOLD"), "\(wrong.stderr)")
        let typo = try show(["--datadir", directory.path], environment: ["SIGNALMESH_LISTN": "x"])
        #expect(typo.status == 0)
        #expect(typo.stderr.contains("SIGNALMESH_LISTN is not a SignalMesh setting"), "\(typo.stderr)")
    }

    @Test func runListensWhereTheFileSays() throws {
        let directory = try TemporaryDirectory()
        let datadir = directory.path + "/node"
        try FileManager.default.createDirectory(atPath: datadir, withIntermediateDirectories: true)
        // A free port, then a node.conf that names it.
        let port = freeUDPPort()
        try Data("listen = 127.0.0.1:\(port)\n".utf8).write(to: URL(fileURLWithPath: datadir + "/node.conf"))
        let node = try CLIChild(["run", "--datadir", datadir, "--network", "devnet", "--json"])
        let line = node.nextLine(within: 10) ?? ""
        #expect(line.contains("127.0.0.1:\(port)"), "\(line) \(node.standardError)")
        node.send(SIGTERM)
        #expect(node.exitStatus(within: 10) == 0)
    }
}

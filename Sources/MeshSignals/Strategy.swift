import Foundation
public import MeshIndicators

/// A trading strategy read from a JSON file (`Specs/strategies.md`): which symbol and timeframe, which indicators,
/// and rules that turn their values into signals.
public struct Strategy: Sendable {
    /// What a signal says to do.
    public enum Side: String, Sendable, Codable, CaseIterable {
        case buy, sell, flat
    }

    /// Whether a signal opens or closes a position.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case entry, exit
    }

    /// A bar field a rule can read.
    public enum PriceField: String, Sendable, CaseIterable {
        case open, high, low, close, volume
    }

    /// A value a condition compares: an indicator's output, a field of the bar, or a number.
    public enum Operand: Sendable, Equatable {
        /// Output `output` of the indicator at `indicator` (indexes into `indicators` and its outputs).
        case indicator(indicator: Int, output: Int)
        /// A field of the bar just closed.
        case price(PriceField)
        /// A fixed number.
        case constant(Double)
    }

    /// When a rule fires.
    public indirect enum Condition: Sendable, Equatable {
        /// The first operand was at or below the second on the previous bar and is above it now.
        case crossesAbove(Operand, Operand)
        /// The first operand was at or above the second on the previous bar and is below it now.
        case crossesBelow(Operand, Operand)
        /// The first operand is above the second.
        case above(Operand, Operand)
        /// The first operand is below the second.
        case below(Operand, Operand)
        /// Every condition holds.
        case all([Condition])
        /// At least one condition holds.
        case any([Condition])
        /// The condition does not hold.
        case not(Condition)
    }

    /// A rule: when its condition holds on a closed bar, and at least `cooldown` bars have passed since it last
    /// fired, it gives a signal.
    public struct Rule: Sendable, Equatable {
        /// Its name (`rule N` when the file gives none).
        public let name: String
        /// When it fires.
        public let condition: Condition
        /// The signal's side.
        public let side: Side
        /// The signal's kind.
        public let kind: Kind
        /// The signal's strength, 0...1.
        public let strength: Double
        /// Bars after firing during which it does not fire again.
        public let cooldown: Int
    }

    /// An indicator the rules read: its name in the file and what it is.
    public struct Indicator: Sendable {
        /// The name rules use (`fast`, `macd`).
        public let name: String
        /// Its catalog text (`EMA(12)`).
        public let spec: String
        /// Its output names (TA-Lib's).
        public let outputs: [String]
    }

    /// Lower-case letters, digits, `-` and `_`, 1...64 characters.
    public let id: String
    /// The symbol it trades (`AAPL`).
    public let symbol: String
    /// The bars it reads.
    public let timeframe: Timeframe
    /// Its indicators, by name.
    public let indicators: [Indicator]
    /// Its rules, in the file's order.
    public let rules: [Rule]

    /// The most indicators a strategy has.
    public static let maxIndicators = 64
    /// The most rules a strategy has (and conditions an `all` or `any` lists).
    public static let maxRules = 64
    /// How deeply conditions nest.
    public static let maxDepth = 16
    /// The largest strategy file read, in bytes.
    public static let maxBytes = 1 << 20

    /// The strategy in `text`, a JSON document.
    /// - Throws: `StrategyError` naming the place (a line and column for bad JSON, a path such as
    ///   `rules[1].when.crosses_above[0]` otherwise) and the problem.
    public init(json text: String) throws(StrategyError) {
        let root = try JSONValue.parse(text, limit: Self.maxBytes)
        let top = try root.object(at: "the file")
        try top.only(["id", "symbol", "timeframe", "indicators", "rules", "cooldown"], at: "the file")
        id = try top.string("id", at: "")
        guard (1...64).contains(id.count), id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_" })
        else { throw StrategyError(place: "id", problem: "'\(id.prefix(80))' is not 1-64 of a-z, 0-9, - and _") }
        let symbol = try top.string("symbol", at: "")
        guard (1...32).contains(symbol.count), symbol.allSatisfy({ $0.isLetter || $0.isNumber || "-_./".contains($0) })
        else { throw StrategyError(place: "symbol", problem: "'\(symbol.prefix(80))' is not 1-32 letters or digits") }
        self.symbol = symbol.uppercased()
        let timeframeText = try top.string("timeframe", at: "")
        do {
            timeframe = try Timeframe(timeframeText)
        } catch {
            throw StrategyError(place: "timeframe", problem: error.description)
        }
        let defaultCooldown = try top.optionalInteger("cooldown", at: "", in: 0...1_000_000) ?? 0

        // Indicators: a name each, in the order of their names (a JSON object has no order).
        let specs = try (top["indicators"] ?? .object([:])).object(at: "indicators")
        guard specs.count <= Self.maxIndicators else {
            throw StrategyError(place: "indicators", problem: "more than \(Self.maxIndicators)")
        }
        var indicators: [Indicator] = []
        for (name, value) in specs.sorted(by: { $0.key < $1.key }) {
            let place = "indicators.\(name)"
            guard !name.isEmpty, name.count <= 64,
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }),
                PriceField(rawValue: name) == nil
            else {
                throw StrategyError(
                    place: place, problem: "a name is letters, digits, _ and -, and not open/high/low/close/volume")
            }
            let spec = try value.string(at: place)
            do {
                let made = try IndicatorCatalog.make(spec)
                indicators.append(Indicator(name: name, spec: spec, outputs: made.outputs))
            } catch {
                throw StrategyError(place: place, problem: error.description)
            }
        }
        self.indicators = indicators

        guard case .array(let ruleValues)? = top["rules"], !ruleValues.isEmpty else {
            throw StrategyError(place: "rules", problem: "missing or empty: a strategy needs at least one rule")
        }
        guard ruleValues.count <= Self.maxRules else {
            throw StrategyError(place: "rules", problem: "more than \(Self.maxRules)")
        }
        var rules: [Rule] = []
        for (index, value) in ruleValues.enumerated() {
            let place = "rules[\(index)]"
            let rule = try value.object(at: place)
            try rule.only(["name", "when", "side", "kind", "strength", "cooldown"], at: place)
            let name = try rule.optionalString("name", at: place) ?? "rule \(index)"
            guard let when = rule["when"] else { throw StrategyError(place: place, problem: "no \"when\"") }
            let condition = try Self.condition(when, at: place + ".when", indicators: indicators, depth: 0)
            let sideText = try rule.string("side", at: place)
            guard let side = Side(rawValue: sideText) else {
                throw StrategyError(place: place + ".side", problem: "'\(sideText)' is not buy, sell or flat")
            }
            let kindText = try rule.optionalString("kind", at: place) ?? "entry"
            guard let kind = Kind(rawValue: kindText) else {
                throw StrategyError(place: place + ".kind", problem: "'\(kindText)' is not entry or exit")
            }
            let strength = try rule["strength"]?.number(at: place + ".strength") ?? 1
            guard (0...1).contains(strength) else {
                throw StrategyError(place: place + ".strength", problem: "\(strength) is not within 0...1")
            }
            let cooldown = try rule.optionalInteger("cooldown", at: place, in: 0...1_000_000) ?? defaultCooldown
            rules.append(
                Rule(name: name, condition: condition, side: side, kind: kind, strength: strength, cooldown: cooldown))
        }
        self.rules = rules
    }

    /// Reads the strategy file at `path`.
    /// - Throws: `StrategyError` for a file that cannot be read or is not a valid strategy.
    public init(contentsOf path: String) throws(StrategyError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StrategyError(place: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        guard data.count <= Self.maxBytes else {
            throw StrategyError(place: path, problem: "larger than \(Self.maxBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StrategyError(place: path, problem: "not UTF-8 text")
        }
        try self.init(json: text)
    }

    private static let conditionKeys = [
        "crosses_above", "crosses_below", "above", "below", "all", "any", "not",
    ]

    private static func condition(
        _ value: JSONValue, at place: String, indicators: [Indicator], depth: Int
    ) throws(StrategyError) -> Condition {
        guard depth < maxDepth else { throw StrategyError(place: place, problem: "nested deeper than \(maxDepth)") }
        let object = try value.object(at: place)
        guard object.count == 1, let (key, body) = object.first, conditionKeys.contains(key) else {
            throw StrategyError(
                place: place,
                problem: "a condition is one of \(conditionKeys.joined(separator: ", ")), as {\"above\": [\"rsi\", 70]}"
            )
        }
        let inner = place + "." + key
        switch key {
        case "all", "any":
            guard case .array(let items) = body, !items.isEmpty, items.count <= maxRules else {
                throw StrategyError(place: inner, problem: "expected a list of 1-\(maxRules) conditions")
            }
            var conditions: [Condition] = []
            for (index, item) in items.enumerated() {
                conditions.append(
                    try condition(item, at: "\(inner)[\(index)]", indicators: indicators, depth: depth + 1))
            }
            return key == "all" ? .all(conditions) : .any(conditions)
        case "not":
            return .not(try condition(body, at: inner, indicators: indicators, depth: depth + 1))
        default:
            guard case .array(let pair) = body, pair.count == 2 else {
                throw StrategyError(
                    place: inner, problem: "expected two operands, as [\"fast\", \"slow\"] or [\"rsi\", 70]")
            }
            let left = try operand(pair[0], at: inner + "[0]", indicators: indicators)
            let right = try operand(pair[1], at: inner + "[1]", indicators: indicators)
            if case .constant = left, case .constant = right {
                throw StrategyError(place: inner, problem: "two numbers: the condition never changes")
            }
            switch key {
            case "crosses_above": return .crossesAbove(left, right)
            case "crosses_below": return .crossesBelow(left, right)
            case "above": return .above(left, right)
            default: return .below(left, right)
            }
        }
    }

    private static func operand(
        _ value: JSONValue, at place: String, indicators: [Indicator]
    ) throws(StrategyError) -> Operand {
        switch value {
        case .number(let number): return .constant(number)
        case .string(let text):
            if let field = PriceField(rawValue: text) { return .price(field) }
            let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
            guard let index = indicators.firstIndex(where: { $0.name == parts[0] }) else {
                let names = indicators.map(\.name) + PriceField.allCases.map(\.rawValue)
                throw StrategyError(
                    place: place,
                    problem: "'\(text.prefix(80))' names no indicator (known: \(names.joined(separator: ", ")))")
            }
            let outputs = indicators[index].outputs
            if parts.count == 1 {
                guard outputs.count == 1 else {
                    throw StrategyError(
                        place: place,
                        problem: "\(parts[0]) has outputs \(outputs.joined(separator: ", ")): name one, as "
                            + "'\(parts[0]).\(outputs[0])'")
                }
                return .indicator(indicator: index, output: 0)
            }
            guard let output = outputs.firstIndex(of: parts[1]) else {
                throw StrategyError(
                    place: place,
                    problem: "\(parts[0]) has no output '\(parts[1])' (it has \(outputs.joined(separator: ", ")))")
            }
            return .indicator(indicator: index, output: output)
        default:
            throw StrategyError(place: place, problem: "an operand is an indicator name, a bar field or a number")
        }
    }
}

/// Why a strategy file was refused: where, and what was wrong.
public struct StrategyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line and column, a JSON path (`rules[1].when`), or the file.
    public let place: String
    /// What was wrong.
    public let problem: String

    /// "place: problem".
    public var description: String { place.isEmpty ? problem : "\(place): \(problem)" }
}

/// A JSON document as values, read by Foundation's `JSONSerialization` (whose error gives the offset of a syntax
/// error, turned here into a line and column).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    static func parse(_ text: String, limit: Int) throws(StrategyError) -> JSONValue {
        let data = Data(text.utf8)
        guard data.count <= limit else { throw StrategyError(place: "the file", problem: "larger than \(limit) bytes") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let description = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw StrategyError(place: location(of: description, in: text), problem: "not valid JSON (\(description))")
        }
        return value(parsed)
    }

    /// "line L, column C" for the "character N" a parse error names.
    private static func location(of description: String, in text: String) -> String {
        guard let range = description.range(of: "character "),
            let offset = Int(description[range.upperBound...].prefix { $0.isNumber })
        else { return "the file" }
        var line = 1
        var column = 1
        for (index, byte) in text.utf8.enumerated() {
            if index >= offset { break }
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return "line \(line), column \(column)"
    }

    private static func value(_ any: Any) -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let string as String: return .string(string)
        case let array as [Any]: return .array(array.map(value))
        case let object as [String: Any]: return .object(object.mapValues(value))
        default:
            if JSONNumber.isBoolean(any) { return .bool((any as? NSNumber)?.boolValue ?? false) }
            return JSONNumber.value(any).map { .number($0) } ?? .null
        }
    }

    func object(at place: String) throws(StrategyError) -> [String: JSONValue] {
        guard case .object(let object) = self else { throw StrategyError(place: place, problem: "expected an object") }
        return object
    }

    func string(at place: String) throws(StrategyError) -> String {
        guard case .string(let string) = self else { throw StrategyError(place: place, problem: "expected text") }
        return string
    }

    func number(at place: String) throws(StrategyError) -> Double {
        guard case .number(let number) = self, number.isFinite else {
            throw StrategyError(place: place, problem: "expected a number")
        }
        return number
    }
}

extension [String: JSONValue] {
    /// Refuses keys other than `keys` (a misspelt key is an error, not a silent default).
    func only(_ keys: [String], at place: String) throws(StrategyError) {
        for key in self.keys.sorted() where !keys.contains(key) {
            throw StrategyError(
                place: place, problem: "unknown key \"\(key.prefix(40))\" (expected \(keys.joined(separator: ", ")))")
        }
    }

    func string(_ key: String, at place: String) throws(StrategyError) -> String {
        let path = place.isEmpty ? key : "\(place).\(key)"
        guard let value = self[key] else { throw StrategyError(place: path, problem: "missing") }
        return try value.string(at: path)
    }

    func optionalString(_ key: String, at place: String) throws(StrategyError) -> String? {
        guard let value = self[key] else { return nil }
        return try value.string(at: place.isEmpty ? key : "\(place).\(key)")
    }

    func optionalInteger(_ key: String, at place: String, in range: ClosedRange<Int>) throws(StrategyError) -> Int? {
        let path = place.isEmpty ? key : "\(place).\(key)"
        guard let value = self[key] else { return nil }
        let number = try value.number(at: path)
        guard number == number.rounded(), let integer = Int(exactly: number), range.contains(integer) else {
            throw StrategyError(place: path, problem: "\(number) is not a whole number in \(range)")
        }
        return integer
    }
}

extension Strategy {
    /// An example strategy (`Specs/examples/macd-cross.json`, kept equal by a test), for `signalmesh devnet` and
    /// anyone trying the node without writing one.
    public static let exampleJSON = """
        {
          "id": "macd-cross",
          "symbol": "AAPL",
          "timeframe": "1d",
          "indicators": {
            "macd": "MACD(12,26,9)",
            "rsi": "RSI(14)",
            "trend": "SMA(200)"
          },
          "rules": [
            {
              "name": "bullish cross in an uptrend",
              "when": { "all": [
                { "crosses_above": ["macd.macd", "macd.macdsignal"] },
                { "above": ["close", "trend"] }
              ] },
              "side": "buy", "kind": "entry", "strength": 0.8
            },
            {
              "name": "bearish cross",
              "when": { "crosses_below": ["macd.macd", "macd.macdsignal"] },
              "side": "sell", "kind": "exit"
            },
            {
              "name": "overbought",
              "when": { "crosses_above": ["rsi", 75] },
              "side": "sell", "kind": "exit", "strength": 0.5, "cooldown": 10
            }
          ]
        }
        """
}

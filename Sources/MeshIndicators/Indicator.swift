/// A technical indicator computed one input at a time (`Specs/indicators.md`): TA-Lib's definitions, parameters and
/// lookbacks, with the same floating-point operations in the same order, so that a stream of updates gives exactly
/// the values TA-Lib's batch functions give over the same inputs.
///
/// A value type whose state is `Codable`: save it with any encoder and restore it later to carry on where it stopped.
/// `update` commits an input; `peek` gives the value an input would give without committing it (the forming bar).
/// Neither allocates: windows are fixed-size rings made when the indicator is.
public protocol StreamingIndicator: Sendable, Codable {
    /// What one update takes: a price (`Double`) or a bar (`Bar`).
    associatedtype Input: Sendable
    /// What one update gives: a value, or several (`MACD.Output`).
    associatedtype Output: Sendable

    /// Inputs consumed before the first output (TA-Lib's lookback): the first `lookback` updates return nil.
    var lookback: Int { get }

    /// The output of the last committed input; nil during the warm-up.
    var value: Output? { get }

    /// Commits `input` and returns the new output (nil during the warm-up).
    /// - Throws: `IndicatorError.nonFinite` for a NaN or infinite input, leaving the state as it was.
    mutating func update(_ input: Input) throws(IndicatorError) -> Output?

    /// The output `input` would give if it were committed, leaving the state as it is.
    /// - Throws: `IndicatorError.nonFinite` for a NaN or infinite input.
    func peek(_ input: Input) throws(IndicatorError) -> Output?
}

/// Why an indicator refused an input or parameters.
public enum IndicatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input value was NaN or infinite (`field` names it: "price", "close", ...).
    case nonFinite(field: String, value: Double)
    /// A parameter is out of its range.
    case invalidParameter(name: String, value: String, expected: String)

    /// What was wrong, in a sentence.
    public var description: String {
        switch self {
        case .nonFinite(let field, let value):
            "\(field) is \(value), not a finite number: refused, the indicator's state is unchanged"
        case .invalidParameter(let name, let value, let expected):
            "parameter \(name) = \(value) is invalid: expected \(expected)"
        }
    }

    /// Refuses a non-finite `value` of `field`.
    static func check(_ value: Double, _ field: String) throws(IndicatorError) {
        guard value.isFinite else { throw .nonFinite(field: field, value: value) }
    }

    /// Refuses a period outside `range`.
    static func checkPeriod(_ period: Int, name: String = "period", in range: ClosedRange<Int>) throws(IndicatorError) {
        guard range.contains(period) else {
            throw .invalidParameter(
                name: name, value: "\(period)", expected: "\(range.lowerBound)...\(range.upperBound)")
        }
    }
}

extension StreamingIndicator {
    /// The indicator over `inputs` as a batch: one output per input, nil for the first `lookback` (the warm-up), the
    /// values a stream of updates gives (the same code computes both).
    /// - Throws: `IndicatorError.nonFinite` for the first input with a NaN or infinite value.
    public func outputs(for inputs: [Input]) throws(IndicatorError) -> [Output?] {
        var indicator = self
        var outputs: [Output?] = []
        outputs.reserveCapacity(inputs.count)
        for input in inputs { outputs.append(try indicator.update(input)) }
        return outputs
    }
}

extension StreamingIndicator where Input == Double, Output == Double {
    /// The indicator over `prices` as a batch: one value per input, NaN for the first `lookback` (the warm-up), the
    /// values a stream of updates gives (the same code computes both).
    /// - Throws: `IndicatorError.nonFinite` for the first NaN or infinite price.
    public func batch(_ prices: [Double]) throws(IndicatorError) -> [Double] {
        var indicator = self
        var output = [Double](repeating: .nan, count: prices.count)
        for index in prices.indices {
            if let value = try indicator.update(prices[index]) { output[index] = value }
        }
        return output
    }
}

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

    /// Commits `inputs` in order, as `update` on each in turn would, and writes each one's output at its index in
    /// `outputs` (`placeholder` where it gives none: the warm-up). The batch forms (`batch(_:)`) run on it. The
    /// default is that loop of updates; an indicator may give its own, doing the same floating-point operations in
    /// the same order (so the bits are the same) without the per-update overhead of optional outputs and checks
    /// repeated in nested indicators.
    /// - Precondition: `outputs.count == inputs.count`.
    /// - Throws: `IndicatorError.nonFinite` for the first NaN or infinite input: the inputs before it are committed
    ///   and their outputs written, that one and the rest are not.
    /// - Complexity: O(`inputs.count`) updates; no allocation.
    mutating func update(
        contentsOf inputs: Span<Input>, into outputs: inout MutableSpan<Output>, placeholder: Output
    ) throws(IndicatorError)
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
    /// The loop of updates (see the requirement).
    public mutating func update(
        contentsOf inputs: Span<Input>, into outputs: inout MutableSpan<Output>, placeholder: Output
    ) throws(IndicatorError) {
        precondition(outputs.count == inputs.count, "\(inputs.count) inputs but room for \(outputs.count) outputs")
        for index in inputs.indices { outputs[index] = try update(inputs[index]) ?? placeholder }
    }

    /// The batch loop of an indicator whose state is a handful of numbers: the loop of updates run on a local copy,
    /// which the optimiser keeps in registers (where updates of `self` load and store memory), and the copy kept at
    /// the end, after a throw too. Not for an indicator with a window: the copy would share the window's storage and
    /// copy it on its first append.
    @inline(__always)
    mutating func updateInRegisters(
        contentsOf inputs: Span<Input>, into outputs: inout MutableSpan<Output>, placeholder: Output
    ) throws(IndicatorError) {
        precondition(outputs.count == inputs.count, "\(inputs.count) inputs but room for \(outputs.count) outputs")
        var indicator = self
        defer { self = indicator }
        for index in inputs.indices { outputs[index] = try indicator.update(inputs[index]) ?? placeholder }
    }

    /// The indicator over `inputs` as a batch: one output per input, nil for the first `lookback` (the warm-up), the
    /// values a stream of updates gives (the same code computes both).
    /// - Throws: `IndicatorError.nonFinite` for the first input with a NaN or infinite value.
    @inlinable
    public func outputs(for inputs: [Input]) throws(IndicatorError) -> [Output?] {
        var indicator = self
        var outputs: [Output?] = []
        outputs.reserveCapacity(inputs.count)
        for input in inputs { outputs.append(try indicator.update(input)) }
        return outputs
    }
}

/// An output with a value that stands for none: what a batch gives for the inputs of the warm-up, NaN (in every
/// field) as in TA-Lib's output arrays.
public protocol BatchOutput: Sendable {
    /// The output of an input of the warm-up in a batch.
    static var warmUp: Self { get }
}

extension Double: BatchOutput {
    /// NaN.
    public static var warmUp: Double { .nan }
}

/// The batch forms are inlinable so that a caller's copy is specialised for its indicator: a generic one would copy
/// and fill the outputs one witness call at a time.
extension StreamingIndicator where Output: BatchOutput {
    /// The indicator over `inputs` as a batch: one output per input, `Output.warmUp` (NaN) for the first `lookback`
    /// (the warm-up), and the values a stream of updates gives, bit for bit (`update(contentsOf:into:placeholder:)`).
    /// - Throws: `IndicatorError.nonFinite` for the first input with a NaN or infinite value.
    @inlinable
    public func batch(_ inputs: [Input]) throws(IndicatorError) -> [Output] {
        var outputs: [Output] = []
        try batch(inputs, into: &outputs)
        return outputs
    }

    /// As `batch(_:)`, into `outputs`: what it held is replaced by one output per input, in its own storage when
    /// that is unshared and large enough (then nothing is allocated: a caller running batches over inputs of one
    /// size keeps one array). After a throw its contents are unspecified.
    /// - Throws: `IndicatorError.nonFinite` for the first input with a NaN or infinite value.
    @inlinable
    public func batch(_ inputs: [Input], into outputs: inout [Output]) throws(IndicatorError) {
        if outputs.count > inputs.count {
            outputs.removeLast(outputs.count - inputs.count)
        } else if outputs.count < inputs.count {
            outputs.append(contentsOf: repeatElement(.warmUp, count: inputs.count - outputs.count))
        }
        var indicator = self
        var span = outputs.mutableSpan
        try indicator.update(contentsOf: inputs.span, into: &span, placeholder: .warmUp)
    }
}

/// The bundled real data set: the daily OHLCV history of AAPL, MSFT, IBM (March 2000 to 2013) and GOOG (August 2004
/// to 2013), public domain, from PyPI's `bokeh_sampledata` (regenerate with `Tools/sample-data.sh`). Compiled into
/// the binary so that a node, devnet, `backtest` and `indicators compute` have a real feed out of the box.
public enum SampleData {
    /// The symbols, in the order they are offered.
    public static let symbols = ["AAPL", "MSFT", "IBM", "GOOG"]

    /// `symbol`'s daily bars as CSV text (`date,open,high,low,close,volume,adj_close`, oldest first: the prices as
    /// published, not adjusted for splits, and the close adjusted for splits and dividends); nil for a symbol not in
    /// the set. Symbols are matched without regard to case.
    public static func csvText(for symbol: String) -> String? { csv[symbol.uppercased()] }
}

"""Golden indicator values from TA-Lib (issue 6), run by Tools/indicator-golden.sh inside a venv it makes.

Writes, under OUT (default Tests/MeshIndicatorsTests/Golden):
  input/<SYMBOL>.csv     the public-domain daily OHLCV of bokeh_sampledata (first ROWS rows): date,open,high,low,close,volume
  <SYMBOL>/<CONFIG>.csv  one file per indicator and parameter set: a column per TA-Lib output, a row per input row,
                         values as Python's repr of the float64 TA-Lib returned (shortest text that reads back to the
                         same bits), "nan" where TA-Lib returns NaN (the warm-up)
  manifest.csv           config, function, parameters (name=value;...), outputs (name;...), lookback

The Swift tests read these files; they need no Python.
"""

import csv
import math
import os
import sys

import numpy as np
import talib
from bokeh_sampledata import stocks
from talib import abstract

SYMBOLS = ["AAPL", "MSFT", "IBM", "GOOG"]

# (config name, TA-Lib function, keyword parameters). Several parameter sets per indicator: short and long periods,
# and for the MA-type parameters more than one moving average.
CONFIGS = [
    ("SMA_10", "SMA", dict(timeperiod=10)),
    ("SMA_30", "SMA", dict(timeperiod=30)),
    ("EMA_10", "EMA", dict(timeperiod=10)),
    ("EMA_30", "EMA", dict(timeperiod=30)),
    ("WMA_10", "WMA", dict(timeperiod=10)),
    ("WMA_30", "WMA", dict(timeperiod=30)),
    ("DEMA_10", "DEMA", dict(timeperiod=10)),
    ("DEMA_30", "DEMA", dict(timeperiod=30)),
    ("TEMA_10", "TEMA", dict(timeperiod=10)),
    ("TEMA_30", "TEMA", dict(timeperiod=30)),
    ("TRIMA_9", "TRIMA", dict(timeperiod=9)),
    ("TRIMA_30", "TRIMA", dict(timeperiod=30)),
    ("KAMA_10", "KAMA", dict(timeperiod=10)),
    ("KAMA_30", "KAMA", dict(timeperiod=30)),
    ("T3_5_0.7", "T3", dict(timeperiod=5, vfactor=0.7)),
    ("T3_10_0.5", "T3", dict(timeperiod=10, vfactor=0.5)),
    ("MACD_12_26_9", "MACD", dict(fastperiod=12, slowperiod=26, signalperiod=9)),
    ("MACD_5_35_5", "MACD", dict(fastperiod=5, slowperiod=35, signalperiod=5)),
    ("MACDEXT_12_1_26_1_9_1", "MACDEXT",
     dict(fastperiod=12, fastmatype=1, slowperiod=26, slowmatype=1, signalperiod=9, signalmatype=1)),
    ("MACDEXT_12_0_26_0_9_0", "MACDEXT",
     dict(fastperiod=12, fastmatype=0, slowperiod=26, slowmatype=0, signalperiod=9, signalmatype=0)),
    ("MACDFIX_9", "MACDFIX", dict(signalperiod=9)),
    ("APO_12_26_0", "APO", dict(fastperiod=12, slowperiod=26, matype=0)),
    ("APO_12_26_1", "APO", dict(fastperiod=12, slowperiod=26, matype=1)),
    ("PPO_12_26_0", "PPO", dict(fastperiod=12, slowperiod=26, matype=0)),
    ("PPO_12_26_1", "PPO", dict(fastperiod=12, slowperiod=26, matype=1)),
    ("RSI_14", "RSI", dict(timeperiod=14)),
    ("RSI_5", "RSI", dict(timeperiod=5)),
    ("STOCH_5_3_0_3_0", "STOCH",
     dict(fastk_period=5, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0)),
    ("STOCH_14_3_1_3_1", "STOCH",
     dict(fastk_period=14, slowk_period=3, slowk_matype=1, slowd_period=3, slowd_matype=1)),
    ("STOCHF_5_3_0", "STOCHF", dict(fastk_period=5, fastd_period=3, fastd_matype=0)),
    ("STOCHF_14_3_1", "STOCHF", dict(fastk_period=14, fastd_period=3, fastd_matype=1)),
    ("STOCHRSI_14_5_3_0", "STOCHRSI", dict(timeperiod=14, fastk_period=5, fastd_period=3, fastd_matype=0)),
    ("WILLR_14", "WILLR", dict(timeperiod=14)),
    ("CCI_14", "CCI", dict(timeperiod=14)),
    ("CCI_20", "CCI", dict(timeperiod=20)),
    ("CMO_14", "CMO", dict(timeperiod=14)),
    ("MOM_10", "MOM", dict(timeperiod=10)),
    ("ROC_10", "ROC", dict(timeperiod=10)),
    ("ROCP_10", "ROCP", dict(timeperiod=10)),
    ("ROCR_10", "ROCR", dict(timeperiod=10)),
    ("ROCR100_10", "ROCR100", dict(timeperiod=10)),
    ("TRIX_15", "TRIX", dict(timeperiod=15)),
    ("TRIX_30", "TRIX", dict(timeperiod=30)),
    ("ULTOSC_7_14_28", "ULTOSC", dict(timeperiod1=7, timeperiod2=14, timeperiod3=28)),
    ("ADX_14", "ADX", dict(timeperiod=14)),
    ("ADXR_14", "ADXR", dict(timeperiod=14)),
    ("DX_14", "DX", dict(timeperiod=14)),
    ("PLUS_DI_14", "PLUS_DI", dict(timeperiod=14)),
    ("MINUS_DI_14", "MINUS_DI", dict(timeperiod=14)),
    ("PLUS_DM_14", "PLUS_DM", dict(timeperiod=14)),
    ("MINUS_DM_14", "MINUS_DM", dict(timeperiod=14)),
    ("AROON_14", "AROON", dict(timeperiod=14)),
    ("AROON_25", "AROON", dict(timeperiod=25)),
    ("AROONOSC_14", "AROONOSC", dict(timeperiod=14)),
    ("BOP", "BOP", dict()),
    ("MFI_14", "MFI", dict(timeperiod=14)),
    ("OBV", "OBV", dict()),
    ("AD", "AD", dict()),
    ("ADOSC_3_10", "ADOSC", dict(fastperiod=3, slowperiod=10)),
    ("ATR_14", "ATR", dict(timeperiod=14)),
    ("NATR_14", "NATR", dict(timeperiod=14)),
    ("TRANGE", "TRANGE", dict()),
    ("BBANDS_5_2_2_0", "BBANDS", dict(timeperiod=5, nbdevup=2.0, nbdevdn=2.0, matype=0)),
    ("BBANDS_20_2_2_0", "BBANDS", dict(timeperiod=20, nbdevup=2.0, nbdevdn=2.0, matype=0)),
    ("BBANDS_20_1.5_2.5_1", "BBANDS", dict(timeperiod=20, nbdevup=1.5, nbdevdn=2.5, matype=1)),
    ("STDDEV_5_1", "STDDEV", dict(timeperiod=5, nbdev=1.0)),
    ("STDDEV_20_2", "STDDEV", dict(timeperiod=20, nbdev=2.0)),
    ("VAR_5_1", "VAR", dict(timeperiod=5, nbdev=1.0)),
    ("VAR_20_1", "VAR", dict(timeperiod=20, nbdev=1.0)),
    ("SAR_0.02_0.2", "SAR", dict(acceleration=0.02, maximum=0.2)),
    ("SAR_0.01_0.1", "SAR", dict(acceleration=0.01, maximum=0.1)),
    ("MIDPOINT_14", "MIDPOINT", dict(timeperiod=14)),
    ("MIDPRICE_14", "MIDPRICE", dict(timeperiod=14)),
    ("LINEARREG_14", "LINEARREG", dict(timeperiod=14)),
    ("LINEARREG_SLOPE_14", "LINEARREG_SLOPE", dict(timeperiod=14)),
    ("LINEARREG_INTERCEPT_14", "LINEARREG_INTERCEPT", dict(timeperiod=14)),
    ("LINEARREG_ANGLE_14", "LINEARREG_ANGLE", dict(timeperiod=14)),
    ("TSF_14", "TSF", dict(timeperiod=14)),
]


def text(value):
    value = float(value)
    return "nan" if math.isnan(value) else repr(value)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/MeshIndicatorsTests/Golden"
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    os.makedirs(os.path.join(out, "input"), exist_ok=True)
    manifest = []
    for symbol in SYMBOLS:
        data = getattr(stocks, symbol)
        count = min(rows, len(data["date"]))
        columns = {name: data[name][:count] for name in ["date", "open", "high", "low", "close", "volume"]}
        with open(os.path.join(out, "input", symbol + ".csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["date", "open", "high", "low", "close", "volume"])
            for i in range(count):
                w.writerow([columns["date"][i]] + [repr(float(columns[k][i])) for k in ["open", "high", "low", "close"]]
                           + [repr(float(columns["volume"][i]))])
        # TA-Lib reads float64 arrays; the inputs are the CSV's values read back (repr round-trips exactly).
        prices = {k: np.array([float(v) for v in columns[k]], dtype=np.float64)
                  for k in ["open", "high", "low", "close", "volume"]}
        os.makedirs(os.path.join(out, symbol), exist_ok=True)
        for config, function, parameters in CONFIGS:
            fn = abstract.Function(function)
            fn.set_parameters(parameters)
            result = fn(prices)
            outputs = fn.output_names
            series = result if isinstance(result, list) else [result]
            with open(os.path.join(out, symbol, config + ".csv"), "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(outputs)
                for i in range(count):
                    w.writerow([text(s[i]) for s in series])
            if symbol == SYMBOLS[0]:
                manifest.append([config, function, ";".join(f"{k}={v}" for k, v in parameters.items()),
                                 ";".join(outputs), fn.lookback])
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["config", "function", "parameters", "outputs", "lookback"])
        w.writerows(manifest)
    print(f"wrote {len(CONFIGS)} configurations x {len(SYMBOLS)} symbols ({rows} rows each) under {out}; "
          f"TA-Lib {talib.__ta_version__.decode()}, python ta-lib {talib.__version__}")


if __name__ == "__main__":
    main()

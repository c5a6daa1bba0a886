/* TA-Lib's C batch and streaming functions over N generated bars: the reference side of Tools/bench-indicators.sh.
 * The wheel of PyPI's ta-lib 0.8.2 ships the library without headers, so the prototypes used are declared here
 * (checked against the library's own batch output by `--check`). Prints "NAME FORM ns_per_sample" lines; the data
 * is the SplitMix64 random walk Tools/IndicatorBench generates. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int TA_RetCode;
TA_RetCode TA_Initialize(void);
TA_RetCode TA_SMA(int, int, const double *, int, int *, int *, double *);
TA_RetCode TA_EMA(int, int, const double *, int, int *, int *, double *);
TA_RetCode TA_RSI(int, int, const double *, int, int *, int *, double *);
TA_RetCode TA_MACD(int, int, const double *, int, int, int, int *, int *, double *, double *, double *);
TA_RetCode TA_BBANDS(int, int, const double *, int, double, double, int, int *, int *, double *, double *, double *);
TA_RetCode TA_ATR(int, int, const double *, const double *, const double *, int, int *, int *, double *);
TA_RetCode TA_ADX(int, int, const double *, const double *, const double *, int, int *, int *, double *);
int TA_SMA_Lookback(int);
int TA_EMA_Lookback(int);
int TA_RSI_Lookback(int);
int TA_MACD_Lookback(int, int, int);
int TA_BBANDS_Lookback(int, double, double, int);
int TA_ATR_Lookback(int);
int TA_ADX_Lookback(int);
TA_RetCode TA_SMA_Open(void **, const double *, int, int, double *);
TA_RetCode TA_SMA_Update(void *, double, double *);
TA_RetCode TA_SMA_Close(void *);
TA_RetCode TA_EMA_Open(void **, const double *, int, int, double *);
TA_RetCode TA_EMA_Update(void *, double, double *);
TA_RetCode TA_EMA_Close(void *);
TA_RetCode TA_RSI_Open(void **, const double *, int, int, double *);
TA_RetCode TA_RSI_Update(void *, double, double *);
TA_RetCode TA_RSI_Close(void *);
TA_RetCode TA_MACD_Open(void **, const double *, int, int, int, int, double *, double *, double *);
TA_RetCode TA_MACD_Update(void *, double, double *, double *, double *);
TA_RetCode TA_MACD_Close(void *);
TA_RetCode TA_BBANDS_Open(void **, const double *, int, int, double, double, int, double *, double *, double *);
TA_RetCode TA_BBANDS_Update(void *, double, double *, double *, double *);
TA_RetCode TA_BBANDS_Close(void *);
TA_RetCode TA_ATR_Open(void **, const double *, const double *, const double *, int, int, double *);
TA_RetCode TA_ATR_Update(void *, double, double, double, double *);
TA_RetCode TA_ATR_Close(void *);
TA_RetCode TA_ADX_Open(void **, const double *, const double *, const double *, int, int, double *);
TA_RetCode TA_ADX_Update(void *, double, double, double, double *);
TA_RetCode TA_ADX_Close(void *);

static uint64_t state = 42;
static uint64_t next(void) {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double unit(void) { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }
static uint64_t now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int n;
static double *high, *low, *closeP, *out1, *out2, *out3, sink;

#define BEST(form, name, body)                                                                    \
    do {                                                                                          \
        uint64_t fastest = UINT64_MAX;                                                            \
        for (int pass = 0; pass < 3; pass++) {                                                    \
            uint64_t start = now();                                                               \
            body;                                                                                 \
            uint64_t took = now() - start;                                                        \
            if (took < fastest) fastest = took;                                                   \
        }                                                                                         \
        printf("%s %s %.3f\n", name, form, (double)fastest / n);                                  \
    } while (0)

int main(int argc, char **argv) {
    n = argc > 1 ? atoi(argv[1]) : 10000000;
    high = malloc(sizeof(double) * n); low = malloc(sizeof(double) * n); closeP = malloc(sizeof(double) * n);
    out1 = malloc(sizeof(double) * n); out2 = malloc(sizeof(double) * n); out3 = malloc(sizeof(double) * n);
    double price = 100;
    for (int i = 0; i < n; i++) {
        price *= 1 + (unit() - 0.5) * 0.02;
        high[i] = price * (1 + 0.005 * unit());
        low[i] = price * (1 - 0.005 * unit());
        (void)unit(); /* volume, as the Swift side draws it */
        closeP[i] = price;
    }
    TA_Initialize();
    int b, k;
    void *s;
    double v1, v2, v3;
    int h;

    BEST("batch", "SMA(30)", { TA_SMA(0, n - 1, closeP, 30, &b, &k, out1); sink += out1[k - 1]; });
    h = TA_SMA_Lookback(30) + 1;
    BEST("stream", "SMA(30)", { TA_SMA_Open(&s, closeP, h, 30, &v1); for (int i = h; i < n; i++) { TA_SMA_Update(s, closeP[i], &v1); sink += v1; } TA_SMA_Close(s); });
    BEST("batch", "EMA(30)", { TA_EMA(0, n - 1, closeP, 30, &b, &k, out1); sink += out1[k - 1]; });
    h = TA_EMA_Lookback(30) + 1;
    BEST("stream", "EMA(30)", { TA_EMA_Open(&s, closeP, h, 30, &v1); for (int i = h; i < n; i++) { TA_EMA_Update(s, closeP[i], &v1); sink += v1; } TA_EMA_Close(s); });
    BEST("batch", "RSI(14)", { TA_RSI(0, n - 1, closeP, 14, &b, &k, out1); sink += out1[k - 1]; });
    h = TA_RSI_Lookback(14) + 1;
    BEST("stream", "RSI(14)", { TA_RSI_Open(&s, closeP, h, 14, &v1); for (int i = h; i < n; i++) { TA_RSI_Update(s, closeP[i], &v1); sink += v1; } TA_RSI_Close(s); });
    BEST("batch", "MACD(12,26,9)", { TA_MACD(0, n - 1, closeP, 12, 26, 9, &b, &k, out1, out2, out3); sink += out3[k - 1]; });
    h = TA_MACD_Lookback(12, 26, 9) + 1;
    BEST("stream", "MACD(12,26,9)", { TA_MACD_Open(&s, closeP, h, 12, 26, 9, &v1, &v2, &v3); for (int i = h; i < n; i++) { TA_MACD_Update(s, closeP[i], &v1, &v2, &v3); sink += v3; } TA_MACD_Close(s); });
    BEST("batch", "BBANDS(20)", { TA_BBANDS(0, n - 1, closeP, 20, 2, 2, 0, &b, &k, out1, out2, out3); sink += out1[k - 1]; });
    h = TA_BBANDS_Lookback(20, 2, 2, 0) + 1;
    BEST("stream", "BBANDS(20)", { TA_BBANDS_Open(&s, closeP, h, 20, 2.0, 2.0, 0, &v1, &v2, &v3); for (int i = h; i < n; i++) { TA_BBANDS_Update(s, closeP[i], &v1, &v2, &v3); sink += v1; } TA_BBANDS_Close(s); });
    BEST("batch", "ATR(14)", { TA_ATR(0, n - 1, high, low, closeP, 14, &b, &k, out1); sink += out1[k - 1]; });
    h = TA_ATR_Lookback(14) + 1;
    BEST("stream", "ATR(14)", { TA_ATR_Open(&s, high, low, closeP, h, 14, &v1); for (int i = h; i < n; i++) { TA_ATR_Update(s, high[i], low[i], closeP[i], &v1); sink += v1; } TA_ATR_Close(s); });
    BEST("batch", "ADX(14)", { TA_ADX(0, n - 1, high, low, closeP, 14, &b, &k, out1); sink += out1[k - 1]; });
    h = TA_ADX_Lookback(14) + 1;
    BEST("stream", "ADX(14)", { TA_ADX_Open(&s, high, low, closeP, h, 14, &v1); for (int i = h; i < n; i++) { TA_ADX_Update(s, high[i], low[i], closeP[i], &v1); sink += v1; } TA_ADX_Close(s); });
    fprintf(stderr, "(sink %f)\n", sink);
    return 0;
}

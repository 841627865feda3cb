#!/usr/bin/env Rscript
# Generates tests/data/ttr/reference.csv: reference values of the conveyor's
# bar features computed by R's TTR package (Debian r-cran-ttr 0.24.3) on a
# deterministic OHLC series. CI does not run R; tests read the committed CSV.
#
#   cd tests/data/ttr && Rscript make_reference.R
#
# Definitions matched (see host/src/conveyor/indicators.h):
#   log_ret = ROC(close, 1, "continuous")       ln(c_t / c_{t-1})
#   mom_20  = ROC(close, 20, "discrete")         c_t / c_{t-20} - 1
#   rv_5    = runSD(log_ret, 5)                  sample (n-1) std
#   rsi_14  = RSI(close, 14)                     EMA(wilder=TRUE); TTR seeds
#             the average with the simple mean of the first 14 changes, the
#             same seed as TA-Lib, so no convention needs reconciling.
#   atr_14  = ATR(HLC, 14)[, "atr"]              Wilder EMA of true range; the
#             first bar has no true range (no previous close), so the seed is
#             the mean of the true ranges of bars 2..15 (TA-Lib alike).
#   ema_20  = EMA(close, 20)                     seeded with SMA(20)
suppressPackageStartupMessages(library(TTR))

n <- 300
set.seed(20240601)
# A geometric random walk with fat-ish tails and a few flat stretches, so the
# RSI and ATR see zero changes too.
steps <- rnorm(n, 0, 0.004) + ifelse(runif(n) < 0.05, rnorm(n, 0, 0.02), 0)
steps[100:104] <- 0
close <- 100 * exp(cumsum(steps))
open <- c(100, close[-n])
wick_hi <- abs(rnorm(n, 0, 0.002))
wick_lo <- abs(rnorm(n, 0, 0.002))
high <- pmax(open, close) * (1 + wick_hi)
low <- pmin(open, close) * (1 - wick_lo)
# Round to 1e-6 so the CSV's prices are exactly what the C++ test feeds.
open <- round(open, 6); high <- round(high, 6); low <- round(low, 6); close <- round(close, 6)
high <- pmax(high, open, close); low <- pmin(low, open, close)

log_ret <- as.numeric(ROC(close, n = 1, type = "continuous"))
mom_20 <- as.numeric(ROC(close, n = 20, type = "discrete"))
rv_5 <- as.numeric(runSD(log_ret, n = 5))
rsi_14 <- as.numeric(RSI(close, n = 14))
atr_14 <- as.numeric(ATR(cbind(high, low, close), n = 14)[, "atr"])
ema_20 <- as.numeric(EMA(close, n = 20))

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
out <- data.frame(i = 0:(n - 1), open = fmt(open), high = fmt(high), low = fmt(low),
                  close = fmt(close), log_ret = fmt(log_ret), mom_20 = fmt(mom_20),
                  rv_5 = fmt(rv_5), rsi_14 = fmt(rsi_14), atr_14 = fmt(atr_14),
                  ema_20 = fmt(ema_20))
write.csv(out, "reference.csv", row.names = FALSE, quote = FALSE)

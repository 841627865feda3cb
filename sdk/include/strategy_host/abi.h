/*
 * strategy_host/abi.h: the stable C ABI between the strategy host and its
 * plugins (providers, detectors, experts, risk policies).
 *
 * This is the only header a plugin needs. It is plain C (C99), usable from C
 * and C++ alike. Rules that keep it stable:
 *
 *  - Every struct that crosses the boundary starts with `struct_size`. Structs
 *    are APPEND-ONLY: a new field goes at the end, never in the middle, and a
 *    reader only touches a field when struct_size says it is there.
 *  - Arrays are passed with an explicit item size (stride). Iterate with the
 *    stride, never with sizeof, so that an older plugin and a newer host agree.
 *  - No ownership crosses the boundary: whoever allocates frees. Data handed to
 *    a call is borrowed for the duration of that call only.
 *  - No exceptions cross the boundary; errors are sh_status codes plus the
 *    instance's last_error() string.
 *  - Timestamps are int64 nanoseconds since the Unix epoch (UTC), `*_ts_ns`.
 *  - Symbols are host-interned uint32 ids (sh_symbol_id); names are looked up
 *    through the host services table.
 *  - A double field that holds NaN means "null" (not available / not warm).
 *
 * Versioning: a plugin loads when its ABI major equals the host's and the
 * host's minor is >= the plugin's minor. Anything else is refused with a
 * message naming both versions.
 */
#ifndef STRATEGY_HOST_ABI_H
#define STRATEGY_HOST_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SH_ABI_MAJOR 1
/* 1.1: sh_plugin_descriptor.save_state / load_state (durable state).
 * 1.2: sh_risk_verdict.detail_ext (a reason longer than detail, untruncated).
 * 1.3: sh_provider_api.clock_ns (the receive clock of a live provider).
 * 1.4: SH_KIND_VENUE, sh_venue_api and sh_plugin_descriptor.venue (execution
 *      venues: paper, exchanges).
 * 1.5: sh_provider_api.capabilities / entitled / fetch_daily (provider
 *      capabilities, entitlement, daily history: runbook 001),
 *      SH_ERR_NOT_ENTITLED, SH_REASON_SYMBOL_NOT_ACTIVE.
 * 1.6: sh_feature_batch.column_count / column_names / columns (the configured
 *      feature columns, config `features:`, read by name). */
#define SH_ABI_MINOR 6

/* Name of the one symbol every plugin library exports (see sh_plugin_entry_fn). */
#define SH_PLUGIN_ENTRY_SYMBOL "sh_plugin_entry"

#if defined(_WIN32)
#define SH_PLUGIN_EXPORT __declspec(dllexport)
#else
#define SH_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------------ */
/* Status codes. Values are fixed forever; new codes are appended.            */
/* ------------------------------------------------------------------------ */
typedef int32_t sh_status;
enum {
  SH_OK = 0,
  SH_ERR_INVALID_ARGUMENT = 1, /* a call's input was malformed */
  SH_ERR_CONFIG = 2,           /* config JSON rejected by the plugin */
  SH_ERR_INTERNAL = 3,         /* the plugin failed; see last_error() */
  SH_ERR_UNSUPPORTED = 4,      /* the call is not supported by this plugin */
  SH_END_OF_DATA = 5,          /* provider: finite source exhausted */
  SH_WOULD_BLOCK = 6,          /* provider: no data available right now */
  SH_ERR_EXCEPTION = 7,        /* C++ layer: an exception was caught at the boundary */
  SH_ERR_HOST = 8,             /* a host callback refused the data (e.g. sink full) */
  /* ABI 1.5: the provider is not entitled to the data asked for (its API
   * answered 400/401/403, or no key is configured). Never retried. */
  SH_ERR_NOT_ENTITLED = 9
};

typedef int32_t sh_plugin_kind;
enum {
  SH_KIND_PROVIDER = 1, /* produces market events */
  SH_KIND_DETECTOR = 2, /* feature rows -> detector hits */
  SH_KIND_EXPERT = 3,   /* feature rows + context -> evidence */
  SH_KIND_RISK = 4,     /* order intents + portfolio -> verdicts */
  SH_KIND_VENUE = 5     /* ABI 1.4: orders -> an execution venue -> order reports */
};

typedef int32_t sh_log_level;
enum {
  SH_LOG_TRACE = 0,
  SH_LOG_DEBUG = 1,
  SH_LOG_INFO = 2,
  SH_LOG_WARN = 3,
  SH_LOG_ERROR = 4
};

/* Host-interned symbol id. 0 is never a valid symbol. */
typedef uint32_t sh_symbol_id;
#define SH_INVALID_SYMBOL ((sh_symbol_id)0)

/* ------------------------------------------------------------------------ */
/* Host services: handed to every instance at create(); valid until destroy. */
/* Calls are made from the thread that called into the plugin.               */
/* ------------------------------------------------------------------------ */
typedef struct sh_host_services {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  void *host_ctx; /* opaque; pass back as the first argument of every call */

  /* Log a line attributed to this instance. msg is copied. */
  void (*log)(void *host_ctx, sh_log_level level, const char *msg);
  /* The host clock: event time in replay, wall time when live. Plugins must
   * not read the wall clock for decisions (determinism). */
  int64_t (*now_ns)(void *host_ctx);
  /* Intern a symbol name; returns the same id for the same name for the life
   * of the host process. Returns SH_INVALID_SYMBOL for NULL or "". */
  sh_symbol_id (*intern_symbol)(void *host_ctx, const char *name);
  /* Name of an interned symbol, or NULL. Valid for the life of the host. */
  const char *(*symbol_name)(void *host_ctx, sh_symbol_id id);
  /* Register a named counter (idempotent) and return its id; names are
   * reported prefixed with the instance name. */
  uint32_t (*counter_register)(void *host_ctx, const char *name);
  /* Add to a registered counter. Cheap: safe to call per row. */
  void (*counter_add)(void *host_ctx, uint32_t counter_id, int64_t delta);
} sh_host_services;

/* ------------------------------------------------------------------------ */
/* Market events (provider output).                                          */
/* ------------------------------------------------------------------------ */
typedef int32_t sh_event_type;
enum {
  SH_EVENT_TRADE = 1,
  SH_EVENT_QUOTE = 2, /* best bid / offer */
  SH_EVENT_L2 = 3,    /* one price level of an order book side */
  SH_EVENT_BAR = 4    /* an OHLCV bar that arrives already built */
};

typedef int32_t sh_side;
enum { SH_SIDE_UNKNOWN = 0, SH_SIDE_BUY = 1, SH_SIDE_SELL = -1 };
/* For L2 levels: SH_SIDE_BUY is the bid side, SH_SIDE_SELL the ask side. */

typedef struct sh_trade {
  double price;
  double size;
  sh_side side; /* aggressor side */
  int32_t reserved0;
  uint64_t trade_id;
} sh_trade;

typedef struct sh_quote {
  double bid;
  double bid_size;
  double ask;
  double ask_size;
} sh_quote;

typedef struct sh_l2_level {
  double price;
  double size;    /* 0 removes the level */
  sh_side side;   /* SH_SIDE_BUY = bid, SH_SIDE_SELL = ask */
  uint32_t level; /* 0 = top of book */
} sh_l2_level;

typedef struct sh_bar {
  double open;
  double high;
  double low;
  double close;
  double volume;
  int64_t duration_ns; /* e.g. 60e9 for a minute bar, 86400e9 for a daily bar */
} sh_bar;

/* Flags on sh_market_event.flags. */
#define SH_EVENT_FLAG_SNAPSHOT 0x1u /* L2: first level of a full book snapshot */
/* Appended in 1.2 without a minor bump (a host that predates it ignores an
 * unknown bit): data was lost before this event (a sequence / update-id gap,
 * or a dropped queue). Set on the first event after the provider recovered,
 * e.g. the first level of the resynchronised book (then with SNAPSHOT), so
 * the host can mark the minute `dq: gap`. */
#define SH_EVENT_FLAG_GAP 0x2u

typedef struct sh_market_event {
  uint32_t struct_size;
  sh_event_type type;
  sh_symbol_id symbol;
  uint32_t flags;
  int64_t ts_ns;      /* event (exchange) time */
  int64_t recv_ts_ns; /* receive time, 0 if unknown (for ingest lag) */
  union {
    sh_trade trade;
    sh_quote quote;
    sh_l2_level l2;
    sh_bar bar;
    uint8_t reserved[64]; /* fixes the union's size for future payloads */
  } data;
} sh_market_event;

/* Where a provider writes events. The host copies them during the call. */
typedef struct sh_event_sink {
  uint32_t struct_size;
  void *sink_ctx;
  /* events are read with stride item_size (pass sizeof(sh_market_event)).
   * Returns SH_OK, or SH_ERR_HOST if the host refuses the batch. */
  sh_status (*emit)(void *sink_ctx, const sh_market_event *events, uint32_t count,
                    uint32_t item_size);
} sh_event_sink;

/* ------------------------------------------------------------------------ */
/* Feature rows (host -> detectors, experts). One row per symbol per minute. */
/* All doubles may be NaN = null (not available, or not warm yet).           */
/* ------------------------------------------------------------------------ */
typedef int32_t sh_dq_status;
enum {
  SH_DQ_OK = 0,
  SH_DQ_STALE_BOOK = 1, /* book older than the staleness limit at close */
  SH_DQ_NO_TRADES = 2,  /* no trades in the minute; close is the BBO mid */
  SH_DQ_GAP = 3,        /* minutes missing before this one, or no data at all */
  SH_DQ_LATE = 4,       /* late events were folded into this bar after close */
  /* Appended (no minor bump: a plugin that does not know a value treats it as
     not ok). The host's receive clock and the exchange's event time disagree
     by more than conveyor.max_clock_skew_ms (live modes): the minute closed
     on a clock that is off, or the feed replays old data. */
  SH_DQ_CLOCK_SKEW = 5
};

typedef struct sh_feature_row {
  uint32_t struct_size;
  sh_symbol_id symbol;
  int64_t minute_ts_ns; /* start of the minute (bar open time) */
  sh_dq_status dq;
  uint32_t late_events; /* events that arrived after the watermark */

  /* raw bar */
  double open, high, low, close;
  double volume;      /* base units */
  double vwap;        /* price units */
  double trade_count; /* trades in the bar */

  /* raw features */
  double log_ret;           /* ln(close / previous close) */
  double mom_20;            /* close / close 20 bars ago - 1 */
  double rv_5;              /* sample std of the last 5 log returns */
  double rsi_14;            /* Wilder RSI, 0..100 */
  double atr_14;            /* Wilder ATR, price units */
  double ema_20;            /* EMA seeded with SMA(20), price units */
  double spread_bps;        /* (ask - bid) / mid * 1e4 at close */
  double l2_imbalance;      /* (bid depth - ask depth) / (bid + ask), -1..1 */
  double book_staleness_ms; /* close time minus last book update */
  double ingest_lag_ms;     /* mean receive minus event time */

  /* normalised (null until the baseline is warm) */
  double z_ret;        /* z-score of log_ret */
  double z_volume;     /* z-score of volume */
  double z_spread;     /* z-score of spread_bps */
  double q_ret;        /* rolling quantile rank of |log_ret|, 0..1 */
  double q_volume;     /* rolling quantile rank of volume, 0..1 */
  double q_spread;     /* rolling quantile rank of spread_bps, 0..1 */
  double rs_benchmark; /* log_ret minus the benchmark symbol's log_ret */
} sh_feature_row;

typedef struct sh_feature_batch {
  uint32_t struct_size;
  uint32_t row_size; /* stride between rows in bytes */
  uint32_t count;
  uint32_t reserved0;
  int64_t minute_ts_ns;
  const sh_feature_row *rows; /* borrowed for the call */
  /* ABI 1.6: the configured feature columns (config `features:`), the rows'
   * schema. column_names[j] names column j (NUL-terminated, unique); row i's
   * value of column j is columns[i * column_count + j] (NaN = null, e.g.
   * still warming up). Every column of the default set that has a field in
   * sh_feature_row (mom_20, rv_5, rsi_14, atr_14, ema_20) also holds its value
   * there. Check struct_size first: an older host's batch ends before these;
   * column_count 0 (names and values NULL) when nothing is configured.
   * Borrowed for the call, like rows. */
  uint32_t column_count;
  uint32_t reserved1;
  const char *const *column_names;
  const double *columns;
} sh_feature_batch;

/* Market context for one minute, computed over all symbols of the shard. */
typedef struct sh_market_context {
  uint32_t struct_size;
  uint32_t symbol_count;
  int64_t minute_ts_ns;
  double breadth;           /* share of symbols whose log_ret > 0, 0..1 */
  sh_symbol_id leader;      /* symbol with the largest |log_ret| */
  sh_symbol_id benchmark;   /* configured benchmark symbol, or 0 */
  double leader_ret;        /* the leader's log_ret */
  double benchmark_ret;     /* the benchmark's log_ret, NaN if absent */
} sh_market_context;

/* ------------------------------------------------------------------------ */
/* Detector output.                                                          */
/* ------------------------------------------------------------------------ */
typedef struct sh_detector_hit {
  uint32_t struct_size;
  sh_symbol_id symbol;
  int64_t minute_ts_ns;
  double score;          /* 0..100 */
  const char *hit_class; /* e.g. "return_spike"; borrowed, copied by the host */
  double value;          /* the measured value that triggered (e.g. the z-score) */
  double threshold;      /* the threshold it crossed */
} sh_detector_hit;

typedef struct sh_hit_sink {
  uint32_t struct_size;
  void *sink_ctx;
  /* hits are read with stride item_size (pass sizeof(sh_detector_hit)). */
  sh_status (*emit)(void *sink_ctx, const sh_detector_hit *hits, uint32_t count,
                    uint32_t item_size);
} sh_hit_sink;

/* ------------------------------------------------------------------------ */
/* Expert output: one evidence record per input row, host-allocated.        */
/* The host fills each record with defaults (abstain, NaN) before the call. */
/* ------------------------------------------------------------------------ */
#define SH_EVIDENCE_FLAG_ABSTAIN 0x1u /* the expert has no opinion on this row */

typedef struct sh_evidence {
  uint32_t struct_size;
  sh_symbol_id symbol;
  uint32_t flags;
  uint32_t reserved0;
  double prob_long;  /* 0..1 */
  double prob_short; /* 0..1; prob_long + prob_short <= 1 */
  double confidence; /* 0..1 */
} sh_evidence;

typedef struct sh_evidence_batch {
  uint32_t struct_size;
  uint32_t item_size;
  uint32_t count;
  uint32_t reserved0;
  sh_evidence *items; /* count records, stride item_size; written by the expert */
} sh_evidence_batch;

/* ------------------------------------------------------------------------ */
/* Risk: order intents and portfolio state in, one verdict per intent out.  */
/* ------------------------------------------------------------------------ */
typedef struct sh_order_intent {
  uint32_t struct_size;
  sh_symbol_id symbol;
  uint64_t intent_id; /* unique per intent; the idempotency key's hash */
  int64_t ts_ns;
  sh_side side;
  uint32_t reserved0;
  double qty;          /* base units, > 0 */
  double price;        /* reference price */
  double notional_usd; /* qty * price, as currently sized */
  double confidence;   /* 0..1 from consensus */
  double prob_long;
  double prob_short;
} sh_order_intent;

typedef struct sh_order_intent_batch {
  uint32_t struct_size;
  uint32_t item_size;
  uint32_t count;
  uint32_t reserved0;
  const sh_order_intent *items;
} sh_order_intent_batch;

typedef struct sh_position {
  uint32_t struct_size;
  sh_symbol_id symbol;
  double qty; /* signed, base units */
  double avg_price;
  double mark_price;
  double notional_usd; /* signed qty * mark */
  double unrealized_pnl_usd;
} sh_position;

typedef struct sh_portfolio_state {
  uint32_t struct_size;
  uint32_t position_size; /* stride of positions */
  uint32_t position_count;
  uint32_t consecutive_errors; /* decision cycles that ended in an error */
  int64_t ts_ns;
  double equity_usd;
  double cash_usd;
  double gross_exposure_usd;
  double net_exposure_usd;
  double daily_pnl_usd;
  double peak_equity_usd;
  double drawdown_pct;      /* 0..100 from peak equity */
  double var_pct;           /* 1-day 95% VaR as % of equity */
  double decision_latency_ms; /* last decision cycle */
  const sh_position *positions;
} sh_portfolio_state;

typedef int32_t sh_risk_action;
enum { SH_RISK_ALLOW = 0, SH_RISK_SCALE = 1, SH_RISK_DENY = 2 };

/* Reason codes; values fixed forever, new ones appended. The host maps them
 * to the paper API's HTTP-like codes (412/423/429/503). */
typedef int32_t sh_risk_reason;
enum {
  SH_REASON_NONE = 0,
  SH_REASON_KILL_SWITCH = 1,      /* 423 */
  SH_REASON_LOW_CONFIDENCE = 2,   /* 412 */
  SH_REASON_NOTIONAL_CAP = 3,     /* scale or 412 */
  SH_REASON_RISK_LOCKED = 4,      /* 423: drawdown lock */
  SH_REASON_DAILY_LOSS = 5,       /* 423 */
  SH_REASON_VAR_LIMIT = 6,        /* scale or 423 */
  SH_REASON_CIRCUIT_OPEN = 7,     /* 503 */
  SH_REASON_SAFE_MODE = 8,        /* scale */
  SH_REASON_RATE_LIMITED = 9,     /* 429 */
  SH_REASON_VOL_TARGET = 10,      /* scale */
  SH_REASON_CONFIDENCE_SCALE = 11,/* scale */
  SH_REASON_POLICY_ERROR = 12,    /* 503: the policy itself failed */
  /* ABI 1.5: the host's governance gate (runbook 001): new exposure on a
   * symbol whose history state is not ACTIVE. */
  SH_REASON_SYMBOL_NOT_ACTIVE = 13 /* 412 */
};

typedef struct sh_risk_verdict {
  uint32_t struct_size;
  sh_risk_action action;
  sh_risk_reason reason;
  uint32_t reserved0;
  double scale;     /* SCALE: multiply the intent's qty by this (0..1) */
  char detail[96];  /* human-readable reason, NUL-terminated */

  /* ---- ABI 1.2 (appended; the host pre-fills it NULL and passes
   * item_size, so a 1.0/1.1 plugin never sees it) ---- */
  /* The whole reason when it is longer than detail holds (detail then keeps
   * its first 95 bytes); NULL when detail is the whole reason. Owned by the
   * plugin, valid until the next call on the instance; the host copies it. */
  const char *detail_ext;
} sh_risk_verdict;

typedef struct sh_risk_verdict_batch {
  uint32_t struct_size;
  uint32_t item_size;
  uint32_t count;
  uint32_t reserved0;
  sh_risk_verdict *items; /* one per intent; pre-filled with ALLOW by the host */
} sh_risk_verdict_batch;

/* Per-kind function tables. Append-only. All calls on one instance are made from one thread at a time. */
#ifndef __cplusplus /* C: the tags the provider table's parameters name, declared at file scope */
struct sh_provider_capabilities; struct sh_daily_bar_sink;
#endif
typedef struct sh_provider_api {
  uint32_t struct_size;
  /* Emit up to max_events events through sink. Returns SH_OK (more may
   * follow), SH_WOULD_BLOCK (nothing now), SH_END_OF_DATA (finished) or an
   * error. Events are emitted in non-decreasing ts_ns per symbol. */
  sh_status (*poll)(void *instance, const sh_event_sink *sink, uint32_t max_events);

  /* ---- ABI 1.3 (appended; the host reads it only when struct_size covers
   * it, NULL or an older struct = not a clock source) ---- */

  /* The provider's receive clock, for live minutes that close on time: a
   * wall-clock time T (ns since the epoch, the clock of recv_ts_ns) such that
   * every event it received before T has been emitted. Called by the host
   * after each poll. 0: nothing received yet; negative: not a clock source
   * (a file replay). A capture replay returns the recorded values, so a
   * recorded session closes the same minutes. */
  int64_t (*clock_ns)(void *instance);

  /* ---- ABI 1.5 (appended; read only when struct_size covers it; NULL or
   * an older struct = capabilities undeclared, always entitled, no history) */

  /* What the provider serves (static: valid while the library is loaded;
   * the host reads it without creating an instance). */
  const struct sh_provider_capabilities *capabilities;
  /* Runbook 001's provider_entitled(): SH_OK when this instance may be used
   * (its keys are set and accepted), SH_ERR_NOT_ENTITLED (reason in
   * last_error()) when not. Called once before first use. NULL = entitled. */
  sh_status (*entitled)(void *instance);
  /* Daily history (SH_PROVIDER_HISTORY): every daily bar of `symbol` (the
   * provider's own spelling, as listed in the universe) with
   * from_day_ts_ns <= day_ts_ns <= to_day_ts_ns (UTC midnights), emitted
   * through sink in the order the source gives them (the host judges
   * order, gaps and duplicates). SH_OK, SH_ERR_NOT_ENTITLED (no retry),
   * SH_ERR_INVALID_ARGUMENT (symbol unknown to the provider) or another
   * error with last_error(). A batch call: never reads live prices. */
  sh_status (*fetch_daily)(void *instance, const char *symbol, int64_t from_day_ts_ns,
                           int64_t to_day_ts_ns, const struct sh_daily_bar_sink *sink);
} sh_provider_api;

/* ------------------------------------------------------------------------ */
/* Provider capabilities and daily history (ABI 1.5, runbook 001).           */
/* ------------------------------------------------------------------------ */
/* Asset classes (sh_provider_capabilities.asset_classes bits). The host
 * classifies a symbol by its name: "=X" suffix fx, "=F" suffix commodities,
 * "-USD" anywhere crypto, else stocks. */
#define SH_ASSET_STOCKS 0x1u
#define SH_ASSET_FX 0x2u
#define SH_ASSET_CRYPTO 0x4u
#define SH_ASSET_COMMODITIES 0x8u

/* sh_provider_capabilities.flags */
#define SH_PROVIDER_LIVE 0x1u                 /* poll() delivers live market data */
#define SH_PROVIDER_HISTORY 0x2u              /* fetch_daily() delivers daily history */
#define SH_PROVIDER_REQUIRES_ENTITLEMENT 0x4u /* keys / a subscription are needed */

typedef struct sh_provider_capabilities {
  uint32_t struct_size;
  uint32_t asset_classes;    /* SH_ASSET_* bits */
  uint32_t flags;            /* SH_PROVIDER_* bits */
  uint32_t max_history_days; /* calendar days back fetch_daily reaches; 0 = none */
} sh_provider_capabilities;

/* One day of one symbol. Prices in the quote currency; NaN = not given. */
typedef struct sh_daily_bar {
  uint32_t struct_size;
  uint32_t reserved0;
  int64_t day_ts_ns; /* 00:00 UTC of the trading day */
  double open;
  double high;
  double low;
  double close;
  double adj_close; /* close adjusted for splits and dividends (NaN: = close) */
  double volume;
} sh_daily_bar;

typedef struct sh_daily_bar_sink {
  uint32_t struct_size;
  void *sink_ctx;
  /* bars are read with stride item_size (pass sizeof(sh_daily_bar)). */
  sh_status (*emit)(void *sink_ctx, const sh_daily_bar *bars, uint32_t count, uint32_t item_size);
} sh_daily_bar_sink;

typedef struct sh_detector_api {
  uint32_t struct_size;
  /* Evaluate all symbols' rows of one minute close; emit hits through sink. */
  sh_status (*detect)(void *instance, const sh_feature_batch *rows,
                      const sh_market_context *context, const sh_hit_sink *sink);
} sh_detector_api;

typedef struct sh_expert_api {
  uint32_t struct_size;
  /* Write one evidence record per row (out->count == rows->count). */
  sh_status (*evaluate)(void *instance, const sh_feature_batch *rows,
                        const sh_market_context *context, sh_evidence_batch *out);
} sh_expert_api;

typedef struct sh_risk_api {
  uint32_t struct_size;
  /* Write one verdict per intent (out->count == intents->count). */
  sh_status (*evaluate)(void *instance, const sh_order_intent_batch *intents,
                        const sh_portfolio_state *portfolio, sh_risk_verdict_batch *out);
} sh_risk_api;

/* ------------------------------------------------------------------------ */
/* Execution venues (ABI 1.4). The host keeps the order book of record (the  */
/* idempotency keys, every order's lifecycle, positions and cash, all in its  */
/* LMDB store); a venue executes: it accepts, rejects, fills, cancels and     */
/* expires orders and says so through reports. Every call is made on the      */
/* pipeline thread; reports may be emitted during any call that takes a sink  */
/* (submit, cancel, on_bars, on_events, poll, query_orders), never later from */
/* another thread (a venue with a network stream queues what it receives and */
/* emits it from poll).                                                       */
/* ------------------------------------------------------------------------ */
typedef int32_t sh_order_type;
enum { SH_ORDER_MARKET = 1, SH_ORDER_LIMIT = 2 };

typedef int32_t sh_time_in_force;
enum {
  SH_TIF_GTC = 1, /* good till cancelled */
  SH_TIF_IOC = 2, /* immediate or cancel: what does not fill at once expires */
  SH_TIF_FOK = 3  /* fill or kill: all at once, or nothing (expired) */
};

/* An order's lifecycle: NEW -> ACKNOWLEDGED -> PARTIALLY_FILLED -> FILLED,
 * or CANCELED / REJECTED / EXPIRED. FILLED, CANCELED, REJECTED and EXPIRED
 * are final. */
typedef int32_t sh_order_state;
enum {
  SH_ORDER_NEW = 0,
  SH_ORDER_ACKNOWLEDGED = 1,
  SH_ORDER_PARTIALLY_FILLED = 2,
  SH_ORDER_FILLED = 3,
  SH_ORDER_CANCELED = 4,
  SH_ORDER_REJECTED = 5,
  SH_ORDER_EXPIRED = 6
};

typedef int32_t sh_liquidity;
enum { SH_LIQUIDITY_UNKNOWN = 0, SH_LIQUIDITY_MAKER = 1, SH_LIQUIDITY_TAKER = 2 };

/* Why a venue rejected (or expired) an order. The host maps them to the
 * paper API's HTTP-like codes (in parentheses). Values fixed, appended. */
typedef int32_t sh_venue_reason;
enum {
  SH_VENUE_REASON_NONE = 0,
  SH_VENUE_REASON_INVALID_ORDER = 1,      /* 400: malformed, below minimums */
  SH_VENUE_REASON_UNKNOWN_SYMBOL = 2,     /* 404 */
  SH_VENUE_REASON_INSUFFICIENT_FUNDS = 3, /* 412 */
  SH_VENUE_REASON_UNSUPPORTED = 4,        /* 400: order type / TIF not offered */
  SH_VENUE_REASON_DUPLICATE = 5,          /* 409: client order id seen before */
  SH_VENUE_REASON_RATE_LIMITED = 6,       /* 429 */
  SH_VENUE_REASON_UNAUTHORIZED = 7,       /* 401: wrong keys; the host halts trading */
  SH_VENUE_REASON_UNAVAILABLE = 8,        /* 503: venue down, timeout */
  SH_VENUE_REASON_CLOCK_SKEW = 9,         /* 400: signed request outside the venue's window */
  SH_VENUE_REASON_NO_LIQUIDITY = 10,      /* IOC / FOK that could not fill */
  SH_VENUE_REASON_REDUCE_ONLY = 11        /* a reduce-only order with nothing to reduce */
};

#define SH_ORDER_FLAG_REDUCE_ONLY 0x1u /* may only shrink the venue's position */

/* An order, host -> venue. */
typedef struct sh_venue_order {
  uint32_t struct_size;
  sh_symbol_id symbol;
  const char *client_order_id; /* the host's idempotency key; borrowed, <= 400 bytes */
  int64_t ts_ns;               /* submit time on the host clock */
  sh_side side;
  sh_order_type type;
  sh_time_in_force tif;
  uint32_t flags;     /* SH_ORDER_FLAG_* */
  double qty;         /* base units, > 0 */
  double limit_price; /* LIMIT: the limit; MARKET: NaN */
  double ref_price;   /* the host's reference price when it decided (NaN if none) */
} sh_venue_order;

/* An order report, venue -> host: an order's new state, and a fill when
 * last_qty > 0. One report per fill (a market order walking three levels
 * reports three fills). */
typedef struct sh_venue_report {
  uint32_t struct_size;
  sh_order_state state;        /* the order's state after this report */
  const char *client_order_id; /* borrowed for the call */
  const char *venue_order_id;  /* the venue's id, or NULL */
  sh_symbol_id symbol;
  sh_side side;
  int64_t ts_ns;      /* venue time of the event (the host clock for a simulated venue) */
  double last_qty;    /* this fill's quantity; 0 = no fill in this report */
  double last_price;  /* this fill's price */
  double ref_price;   /* the market price the fill was measured against (NaN if none) */
  double fee_usd;     /* this fill's fee (negative: a rebate) */
  double cum_qty;     /* filled so far */
  double leaves_qty;  /* still working (0 once final) */
  sh_liquidity liquidity;
  sh_venue_reason reason; /* REJECTED / EXPIRED / CANCELED: why; else NONE */
  const char *detail;     /* human-readable reason, or NULL; borrowed */
} sh_venue_report;

typedef struct sh_venue_sink {
  uint32_t struct_size;
  void *sink_ctx;
  /* reports are read with stride item_size (pass sizeof(sh_venue_report)).
   * A report for a client order id the host does not know is counted and
   * logged, never applied. */
  sh_status (*report)(void *sink_ctx, const sh_venue_report *reports, uint32_t count,
                      uint32_t item_size);
} sh_venue_sink;

/* Positions as the venue holds them (reconciliation). */
typedef struct sh_position_sink {
  uint32_t struct_size;
  void *sink_ctx;
  sh_status (*emit)(void *sink_ctx, const sh_position *positions, uint32_t count,
                    uint32_t item_size);
} sh_position_sink;

#define SH_VENUE_SIMULATED 0x1u    /* a paper venue: nothing leaves the process */
#define SH_VENUE_WANTS_BARS 0x2u   /* call on_bars at every minute close */
#define SH_VENUE_WANTS_EVENTS 0x4u /* call on_events with every market event batch */

typedef struct sh_venue_capabilities {
  uint32_t struct_size;
  uint32_t flags;          /* SH_VENUE_* */
  uint32_t order_types;    /* bit (1u << sh_order_type) per type offered */
  uint32_t time_in_force;  /* bit (1u << sh_time_in_force) per TIF offered */
  double maker_fee_bps;    /* NaN if unknown */
  double taker_fee_bps;
} sh_venue_capabilities;

/* One symbol's minute bar at a close, for a venue that fills on bars. */
typedef struct sh_venue_bar {
  uint32_t struct_size;
  sh_symbol_id symbol;
  int64_t minute_ts_ns; /* start of the minute */
  double open, high, low, close;
  double volume;
  double mid; /* BBO mid at close, NaN if none */
} sh_venue_bar;

typedef struct sh_venue_bar_batch {
  uint32_t struct_size;
  uint32_t item_size;
  uint32_t count;
  uint32_t reserved0;
  int64_t minute_ts_ns;
  const sh_venue_bar *items;
} sh_venue_bar_batch;

typedef struct sh_venue_api {
  uint32_t struct_size;
  /* What the venue offers. Called once after create. */
  sh_status (*capabilities)(void *instance, sh_venue_capabilities *out);
  /* Send an order. SH_OK once the venue has it (its ACKNOWLEDGED, REJECTED
   * or fills may be reported during the call or later); an error status
   * when it could not be sent (the host marks it REJECTED, reason
   * UNAVAILABLE, unless a report said otherwise). Idempotent per
   * client_order_id: a second submit of a known id reports its state and
   * sends nothing. */
  sh_status (*submit)(void *instance, const sh_venue_order *order, const sh_venue_sink *sink);
  /* Cancel a working order; the CANCELED report (or the fill that raced it)
   * follows during the call or later. */
  sh_status (*cancel)(void *instance, const char *client_order_id, const sh_venue_sink *sink);
  /* SH_VENUE_WANTS_BARS: the minute's bars, before the host decides on it. */
  sh_status (*on_bars)(void *instance, const sh_venue_bar_batch *bars, const sh_venue_sink *sink);
  /* SH_VENUE_WANTS_EVENTS: market events as the host receives them. */
  sh_status (*on_events)(void *instance, const sh_market_event *events, uint32_t count,
                         uint32_t item_size, const sh_venue_sink *sink);
  /* Reports that arrived asynchronously (a network venue's stream); called
   * by the host between event batches. NULL: nothing is asynchronous. */
  sh_status (*poll)(void *instance, const sh_venue_sink *sink);
  /* Reconciliation: one report per order the venue holds as working, in its
   * current state (last_qty 0), and the venue's positions. SH_WOULD_BLOCK:
   * the venue's view is not ready yet (a restarted network venue still
   * asking the exchange about the orders it restored, or reports waiting
   * for poll); the host calls poll and asks again later (at start it waits,
   * bounded by execution.reconcile.start_wait_ms). */
  sh_status (*query_orders)(void *instance, const sh_venue_sink *sink);
  sh_status (*query_positions)(void *instance, const sh_position_sink *sink);
} sh_venue_api;

/* ------------------------------------------------------------------------ */
/* The descriptor returned by the entry symbol.                              */
/* The first three fields are frozen forever: the host reads them before it  */
/* trusts anything else.                                                     */
/* ------------------------------------------------------------------------ */
typedef struct sh_plugin_descriptor {
  uint32_t struct_size;
  uint16_t abi_major; /* SH_ABI_MAJOR the plugin was built against */
  uint16_t abi_minor; /* SH_ABI_MINOR the plugin was built against */

  sh_plugin_kind kind;
  uint32_t reserved0;
  const char *name;          /* unique plugin name, [a-z0-9_]+ */
  const char *version;       /* semantic version, "MAJOR.MINOR.PATCH" */
  const char *description;   /* one line */
  const char *config_schema; /* JSON Schema (draft 4/7) of the config object */

  /* Create an instance from a JSON object string (already validated against
   * config_schema by the host). On success *rc = SH_OK and the instance is
   * returned. On failure *rc is an error code; the return value may still be
   * non-NULL so the host can read last_error() before calling destroy(). */
  void *(*create)(const sh_host_services *host, const char *config_json, sh_status *rc);
  /* Destroy an instance returned by create (also a failed one). */
  void (*destroy)(void *instance);
  /* The last error message of this instance, "" if none. The pointer is valid
   * until the next call on the instance. */
  const char *(*last_error)(void *instance);
  /* Apply new parameters to a live instance, all-or-nothing: on error the
   * instance keeps its previous config. NULL if unsupported (the host then
   * creates a new instance instead). */
  sh_status (*set_config)(void *instance, const char *config_json);

  /* Exactly one of these is non-NULL, matching kind. */
  const sh_provider_api *provider;
  const sh_detector_api *detector;
  const sh_expert_api *expert;
  const sh_risk_api *risk;

  /* ---- ABI 1.1 (appended; a 1.0 plugin's descriptor ends above and the
   * host reads these as NULL) ---- */

  /* Durable state, for a plugin whose decisions depend on its history (a
   * breaker that is open, a latched lock, rate windows, per-symbol regimes).
   * Both NULL, or both set. After each minute's decisions the host calls
   * save_state and stores a copy of the bytes in that minute's LMDB
   * transaction; after a restart (and when a new instance of the same plugin
   * replaces a serving one) it calls load_state with the last stored bytes
   * before the instance's first batch.
   *   save_state: sets *data / *size to bytes the plugin owns, valid until the
   *               next call on the instance; size 0 = nothing to keep.
   *   load_state: bytes a save_state of a plugin of the same name produced,
   *               possibly of an older version. Refuse what cannot be read
   *               with an error status and last_error(): the host logs it and
   *               the instance starts clear.
   * A venue's state commits with the host's book of that moment: it must
   * describe what the host has been told. A network venue that queues
   * reports for poll saves the ones not handed over yet with it, and hands
   * them over again after load_state (binance_venue does), or a fill that
   * arrived just before the process ended is lost. */
  sh_status (*save_state)(void *instance, const char **data, size_t *size);
  sh_status (*load_state)(void *instance, const char *data, size_t size);

  /* ---- ABI 1.4 (appended; read only when struct_size covers it) ---- */
  const sh_venue_api *venue; /* kind SH_KIND_VENUE */
} sh_plugin_descriptor;

/* The entry symbol every plugin exports under SH_PLUGIN_ENTRY_SYMBOL. The
 * descriptor is static: valid for as long as the library stays loaded. */
typedef const sh_plugin_descriptor *(*sh_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATEGY_HOST_ABI_H */

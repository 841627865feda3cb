// replay_config_schema.h: JSON Schema (draft 7) of the replay provider's
// config object, published through the plugin descriptor and the one source
// of its keys, types, ranges and defaults: parse_replay_config()
// (replay_config.cpp) reads the config through it (sh::config::Reader), so a
// host that skips schema validation still gets clear errors.
#ifndef SH_REPLAY_REPLAY_CONFIG_SCHEMA_H
#define SH_REPLAY_REPLAY_CONFIG_SCHEMA_H

namespace replay {

inline constexpr const char* kReplayConfigSchema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "replay provider",
  "type": "object",
  "properties": {
    "files": {
      "type": "array",
      "description": "Input files, merged into one stream in event-time order (ties: file order, then line order).",
      "items": {
        "type": "object",
        "properties": {
          "path": {"type": "string", "format": "path", "minLength": 1,
                   "description": "Relative paths resolve against the config file's directory (the host rewrites \"format\": \"path\" fields)."},
          "type": {"enum": ["trades", "quotes", "l2", "bars"],
                   "description": "Row type; inferred from the columns when absent."},
          "format": {"enum": ["csv", "jsonl"],
                     "description": "Default: jsonl for .jsonl/.ndjson/.json, else csv."},
          "symbol": {"type": "string", "minLength": 1,
                     "description": "Symbol of every row when the file has no symbol column; default: the file name stem (AAPL.csv -> AAPL)."},
          "bar_duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 9000000000,
                             "description": "Bars only; default 86400 for bare-date rows, else the top-level bar_duration_s."}
        },
        "required": ["path"],
        "additionalProperties": false
      }
    },
    "dir": {"type": "string", "format": "path", "minLength": 1,
            "description": "Directory whose *.csv, *.jsonl, *.ndjson files are added (sorted by name, not recursive; type inferred)."},
    "symbols": {"type": "array", "items": {"type": "string", "minLength": 1},
                "description": "Allow-list; rows of other symbols are skipped as unknown_symbol."},
    "max_future_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 9000000000, "default": 86400,
                     "description": "A row more than this ahead of the file's latest accepted ts, or of the wall clock at create(), is skipped as future_ts (unless the next row confirms the jump)."},
    "l2_levels": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 10,
                  "description": "L2 levels kept per side (level is 0-based); deeper rows are dropped and counted in l2_beyond_levels."},
    "bar_duration_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 9000000000, "default": 60},
    "log_limit_per_reason": {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 20},
    "parse_thread": {"type": "boolean",
                     "description": "Read and parse on a thread of the provider's own, ahead of the pipeline (default true); false parses on the polling thread. The stream is the same either way."}
  },
  "anyOf": [{"required": ["files"]}, {"required": ["dir"]}],
  "additionalProperties": false
})";

}  // namespace replay

#endif  // SH_REPLAY_REPLAY_CONFIG_SCHEMA_H

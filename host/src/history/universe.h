// The symbol universe (runbook 001: "read from universe.json only"; the host
// never invents or deletes a symbol).
//
// universe.json is either a JSON array or an object {"symbols": [...]};
// each entry is a symbol string or {"symbol": "GC=F", "class": "commodities"}.
// A class, when given, must be one of stocks, fx, crypto, commodities and
// agree with classify_symbol (the runbook's rule decides; a disagreeing
// entry is a mistake to fix, not to guess about).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "history/asset_class.h"
#include "store/status.h"

namespace sh::host {

struct UniverseSymbol {
  std::string symbol;
  AssetClass asset_class = AssetClass::kStocks;
};

struct Universe {
  std::filesystem::path path;
  std::vector<UniverseSymbol> symbols;  // file order
  // SHA-256 (hex) of the sorted symbol list: which universe a verify covered.
  std::string fingerprint;
};

// InvalidArgument naming the file and the entry ("universe.json: entry 3
// (\"GC=F\"): unknown class 'metals' (expected stocks, fx, crypto or
// commodities)"); IoError when unreadable.
Status load_universe(const std::filesystem::path& path, Universe* out);

}  // namespace sh::host

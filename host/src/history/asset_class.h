// Asset classes and runbook 001's classify_symbol.
#pragma once

#include <strategy_host/abi.h>

#include <cstdint>
#include <string>

namespace sh::host {

enum class AssetClass { kStocks, kFx, kCrypto, kCommodities };

// Runbook 001, exactly:
//   if symbol.endswith("=X"): fx; if symbol.endswith("=F"): commodities;
//   if "-USD" in symbol: crypto; else stocks.
AssetClass classify_symbol(const std::string& symbol);
const char* asset_class_name(AssetClass c);  // "stocks" | "fx" | "crypto" | "commodities"
// false for any other name.
bool parse_asset_class(const std::string& name, AssetClass* out);
uint32_t asset_class_bit(AssetClass c);  // SH_ASSET_*

}  // namespace sh::host

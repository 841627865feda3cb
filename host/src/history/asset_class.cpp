#include "history/asset_class.h"

#include "services/text_util.h"

namespace sh::host {

AssetClass classify_symbol(const std::string& symbol) {
  if (ends_with(symbol, "=X")) return AssetClass::kFx;
  if (ends_with(symbol, "=F")) return AssetClass::kCommodities;
  if (symbol.find("-USD") != std::string::npos) return AssetClass::kCrypto;
  return AssetClass::kStocks;
}

const char* asset_class_name(AssetClass c) {
  switch (c) {
    case AssetClass::kFx: return "fx";
    case AssetClass::kCommodities: return "commodities";
    case AssetClass::kCrypto: return "crypto";
    case AssetClass::kStocks: break;
  }
  return "stocks";
}

bool parse_asset_class(const std::string& name, AssetClass* out) {
  for (AssetClass c : {AssetClass::kStocks, AssetClass::kFx, AssetClass::kCrypto,
                       AssetClass::kCommodities}) {
    if (name == asset_class_name(c)) {
      *out = c;
      return true;
    }
  }
  return false;
}

uint32_t asset_class_bit(AssetClass c) {
  switch (c) {
    case AssetClass::kFx: return SH_ASSET_FX;
    case AssetClass::kCommodities: return SH_ASSET_COMMODITIES;
    case AssetClass::kCrypto: return SH_ASSET_CRYPTO;
    case AssetClass::kStocks: break;
  }
  return SH_ASSET_STOCKS;
}

}  // namespace sh::host

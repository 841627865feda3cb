// csv_history: daily history from <dir>/<SYMBOL>.csv (Date, Open, High, Low,
// Close, Adj Close, Volume). See README.md.
#include <strategy_host/plugin.hpp>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr int64_t kDayNs = 86'400'000'000'000;

int64_t civil_days(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return int64_t{era} * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool parse_date(const std::string& t, int64_t* day) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  const int y = std::atoi(t.substr(0, 4).c_str());
  const int m = std::atoi(t.substr(5, 2).c_str());
  const int d = std::atoi(t.substr(8, 2).c_str());
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *day = civil_days(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == ',') {
      out.emplace_back();
    } else if (c != '\r' && c != '"') {
      out.back() += c;
    }
  }
  return out;
}

bool parse_number(const std::string& s, double* v) {
  if (s == "null" || s.empty()) {
    *v = sh::kNull;
    return true;
  }
  char* end = nullptr;
  errno = 0;
  *v = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0' && errno == 0;
}

class CsvHistory final : public sh::Provider {
 public:
  static constexpr const char* kName = "csv_history";
  static constexpr uint32_t kAssetClasses =
      SH_ASSET_STOCKS | SH_ASSET_FX | SH_ASSET_CRYPTO | SH_ASSET_COMMODITIES;
  static constexpr uint32_t kProviderFlags = SH_PROVIDER_HISTORY;
  static constexpr uint32_t kMaxHistoryDays = 36500;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "daily history from a directory of CSV files (Date, Open, High, Low, Close, Adj Close, "
      "Volume), one per symbol";
  static constexpr const char* kConfigSchema = R"({
    "type": "object",
    "properties": {
      "dir": {"type": "string", "format": "path", "description": "directory of <SYMBOL>.csv files"}
    },
    "required": ["dir"],
    "additionalProperties": false
  })";

  CsvHistory(const sh::Host& host, const nlohmann::json& config) : sh::Provider(host) {
    const sh::config::Reader r(config, kConfigSchema);
    dir_ = r.string("dir");
  }

  // A history-only provider: nothing live.
  sh_status poll(const sh::EventSink&, uint32_t) override { return SH_END_OF_DATA; }

  void fetch_daily(const std::string& symbol, int64_t from_ns, int64_t to_ns,
                   const sh::DailyBarSink& sink) override {
    const std::string path = dir_ + "/" + symbol + ".csv";
    std::ifstream in(path);
    if (!in) throw sh::InvalidArgument(path + ": no file for symbol " + symbol);
    std::string line;
    if (!std::getline(in, line)) throw std::runtime_error(path + ":1: empty file (expected a header)");
    const std::vector<std::string> header = split_csv(line);
    int col[7] = {-1, -1, -1, -1, -1, -1, -1};
    static const char* kCols[7] = {"Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"};
    for (size_t i = 0; i < header.size(); ++i) {
      for (int c = 0; c < 7; ++c) {
        if (header[i] == kCols[c]) col[c] = static_cast<int>(i);
      }
    }
    for (int c : {0, 1, 2, 3, 4, 6}) {
      if (col[c] < 0) {
        throw std::runtime_error(path + ":1: no '" + std::string(kCols[c]) +
                                 "' column (expected Date, Open, High, Low, Close, Adj Close, Volume)");
      }
    }
    std::vector<sh_daily_bar> bars;
    for (size_t n = 2; std::getline(in, line); ++n) {
      if (line.empty() || line == "\r") continue;
      const std::vector<std::string> f = split_csv(line);
      if (f.size() < header.size()) {
        throw std::runtime_error(path + ":" + std::to_string(n) + ": " + std::to_string(f.size()) +
                                 " fields, the header has " + std::to_string(header.size()));
      }
      sh_daily_bar b{};
      b.struct_size = sizeof b;
      int64_t day = 0;
      if (!parse_date(f[col[0]], &day)) {
        throw std::runtime_error(path + ":" + std::to_string(n) + ": Date '" + f[col[0]] +
                                 "' is not YYYY-MM-DD");
      }
      b.day_ts_ns = day * kDayNs;
      double* dst[6] = {&b.open, &b.high, &b.low, &b.close, &b.adj_close, &b.volume};
      for (int c = 1; c < 7; ++c) {
        if (col[c] < 0) {
          *dst[c - 1] = sh::kNull;
          continue;
        }
        if (!parse_number(f[col[c]], dst[c - 1])) {
          throw std::runtime_error(path + ":" + std::to_string(n) + ": " + kCols[c] + " '" + f[col[c]] +
                                   "' is not a number");
        }
      }
      if (b.day_ts_ns >= from_ns && b.day_ts_ns <= to_ns) bars.push_back(b);
    }
    if (!bars.empty()) sink.emit(bars.data(), static_cast<uint32_t>(bars.size()));
  }

 private:
  std::string dir_;
};

}  // namespace

SH_EXPORT_PLUGIN(CsvHistory)

// test_coinbase_support.h: helpers for the coinbase provider's tests: a
// config pointed at the local fixture server (test_ws_server.h), sessions
// that first read the client's subscribe messages as Coinbase's server does,
// and the fixture frames of tests/data/coinbase/ (make_fixtures.py).
#ifndef SH_TESTS_TEST_COINBASE_SUPPORT_H
#define SH_TESTS_TEST_COINBASE_SUPPORT_H

#include "test_binance_support.h"

namespace sh_test {

inline nlohmann::json coinbase_config(const WsFixtureServer& s,
                                      std::vector<std::string> products = {"BTC-USD", "ETH-USD"}) {
  return {{"symbols", products},
          {"ws_url", s.ws_url()},
          {"ca_file", s.ca_file()},
          {"reconnect", {{"initial_ms", 20}, {"max_ms", 200}, {"multiplier", 2.0}, {"jitter", 0.2}}},
          {"stale_timeout_ms", 3000},
          {"connect_timeout_ms", 3000}};
}

inline std::vector<std::string> coinbase_lines(const std::string& name) {
  return fixture_lines(name, "coinbase");
}

// A session that waits for the client's n subscribe messages, then plays
// the fixture files.
inline WsScript coinbase_session(int subscriptions, const std::vector<std::string>& files) {
  WsScript s{await_texts(subscriptions)};
  for (const auto& f : files) append_sends(s, coinbase_lines(f));
  return s;
}

}  // namespace sh_test

#endif

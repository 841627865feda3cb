// The example provider's test (strategy_host/testing.hpp, run by ctest).
#include <strategy_host/testing.hpp>

SH_TEST("emits count trades of its symbol, in time order, then end of data") {
  sh::testing::Plugin plugin;
  auto provider = plugin.provider({{"symbol", "XYZ"}, {"count", 5}});
  // Two events per poll: the provider must carry on across polls.
  const auto events = provider.drain(/*max_polls=*/100, /*max_events_per_poll=*/2);
  events.expect_count(5);
  sh::testing::expect(events.final_status() == SH_END_OF_DATA, "the replay should end");
  sh::testing::expect(events.count("XYZ", SH_EVENT_TRADE) == 5, "five XYZ trades");
  events.expect_ordered();
  const auto& first = events.all().front().raw;
  sh::testing::expect(first.ts_ns == 1704153600000000000 && first.data.trade.price == 100.0,
                      "first trade at the default start, price 100");
}

SH_TEST("a count that is not a number is refused") {
  sh::testing::Plugin plugin;
  plugin.expect_config_refused({{"count", "ten"}});
}

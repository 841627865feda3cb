// IngressMerger: several providers into one stream. By event time (replay)
// and by receive time with clock bounds (live): the order is a function of
// the events and clock reports, and a quiet provider whose clock has passed
// an event does not hold it back.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "pipeline/ingress_merger.h"

using sh::host::IngressMerger;

namespace {

sh_market_event ev(int64_t ts, int64_t recv, double px) {
  sh_market_event e;
  std::memset(&e, 0, sizeof e);
  e.struct_size = sizeof e;
  e.type = SH_EVENT_TRADE;
  e.symbol = 1;
  e.ts_ns = ts;
  e.recv_ts_ns = recv;
  e.data.trade.price = px;
  e.data.trade.size = 1;
  return e;
}

std::vector<double> prices(const std::vector<sh_market_event>& out) {
  std::vector<double> p;
  for (const auto& e : out) p.push_back(e.data.trade.price);
  return p;
}

}  // namespace

TEST_CASE("merger by event time: an empty unfinished lane holds everything back", "[ingress]") {
  IngressMerger m(2);
  const sh_market_event a[] = {ev(10, 0, 1), ev(20, 0, 2)};
  m.push(0, a, 2, sizeof(sh_market_event));
  std::vector<sh_market_event> out;
  m.release(out);
  CHECK(out.empty());
  m.finish(1);
  m.release(out);
  CHECK(prices(out) == std::vector<double>{1, 2});
}

TEST_CASE("merger by receive time: a quiet lane's clock releases the other lane's events", "[ingress]") {
  IngressMerger m(2);
  m.order_by_receive_time();
  // Lane 0 received at 100 and 300; lane 1 is quiet (connected or not) and
  // reports its clock.
  const sh_market_event a[] = {ev(90, 100, 1), ev(290, 300, 2)};
  m.push(0, a, 2, sizeof(sh_market_event));
  std::vector<sh_market_event> out;
  m.set_clock(1, 0);  // nothing received yet: no bound
  m.release(out);
  CHECK(out.empty());
  CHECK_FALSE(m.drained());
  m.set_clock(1, 200);  // everything lane 1 received before 200 was emitted
  m.release(out);
  CHECK(prices(out) == std::vector<double>{1});
  m.set_clock(1, 400);
  m.release(out);
  CHECK(prices(out) == std::vector<double>{2});
  CHECK(m.drained());  // nothing held: the receive clock may advance
}

TEST_CASE("merger by receive time: the same events and clocks in any batching give one order",
          "[ingress]") {
  // Two lanes received interleaved; an estimated-time event (recv 0) keeps
  // its lane's previous key.
  const std::vector<sh_market_event> lane0 = {ev(5, 110, 1), ev(6, 0, 2), ev(7, 150, 3)};
  const std::vector<sh_market_event> lane1 = {ev(4, 120, 10), ev(8, 140, 11), ev(9, 160, 12)};
  auto run = [&](size_t step) {
    IngressMerger m(2);
    m.order_by_receive_time();
    std::vector<double> all;
    std::vector<sh_market_event> out;
    for (size_t i = 0; i < 3; i += step) {
      const size_t n = std::min(step, 3 - i);
      m.push(0, lane0.data() + i, static_cast<uint32_t>(n), sizeof(sh_market_event));
      m.push(1, lane1.data() + i, static_cast<uint32_t>(n), sizeof(sh_market_event));
      m.release(out);
      for (double p : prices(out)) all.push_back(p);
    }
    m.finish(0);
    m.finish(1);
    m.release(out);
    for (double p : prices(out)) all.push_back(p);
    return all;
  };
  const std::vector<double> expected = {1, 2, 10, 11, 3, 12};  // by recv: 110, 110, 120, 140, 150, 160
  CHECK(run(1) == expected);
  CHECK(run(2) == expected);
  CHECK(run(3) == expected);
}

// [services] Symbol interning, counters and the host clock.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "services/host_services.h"

using sh::host::CounterRegistry;
using sh::host::HostClock;
using sh::host::HostRuntime;
using sh::host::InstanceServices;
using sh::host::SymbolTable;

TEST_CASE("symbol ids start at 1, follow first-intern order and never change", "[services]") {
  SymbolTable t;
  CHECK(t.intern("") == SH_INVALID_SYMBOL);
  CHECK(t.intern("BTC") == 1);
  CHECK(t.intern("ETH") == 2);
  CHECK(t.intern("BTC") == 1);
  const char* btc = t.name(1);
  for (int i = 0; i < 5000; ++i) t.intern("SYM" + std::to_string(i));  // grows past a chunk
  CHECK(t.name(1) == btc);  // same pointer: names never move
  CHECK(std::string(t.name(2)) == "ETH");
  CHECK(t.name(0) == nullptr);
  CHECK(t.name(999999) == nullptr);
  CHECK(t.find("SYM4999") == 5002);
  CHECK(t.find("nope") == SH_INVALID_SYMBOL);
  CHECK(t.size() == 5002);
  CHECK(t.names().front() == "BTC");
}

TEST_CASE("interning from many threads gives one id per name and readable names", "[services]") {
  SymbolTable t;
  std::atomic<bool> bad{false};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3000; ++i) {
        const std::string name = "S" + std::to_string(i);
        const auto id = t.intern(name);
        const char* n = t.name(id);
        if (n == nullptr || name != n) bad = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK_FALSE(bad);
  CHECK(t.size() == 3000);
}

TEST_CASE("counters register idempotently and report sorted by name", "[services]") {
  CounterRegistry c;
  const auto b = c.register_counter("b.rows");
  const auto a = c.register_counter("a.hits");
  CHECK(b == 1);
  CHECK(a == 2);
  CHECK(c.register_counter("b.rows") == b);
  CHECK(c.register_counter("") == 0);
  c.add(b, 5);
  c.add(b, -2);
  c.add(a, 1);
  c.add(0, 100);    // ignored
  c.add(999, 100);  // ignored
  const auto snap = c.snapshot();
  REQUIRE(snap.size() == 2);
  CHECK(snap[0] == std::make_pair(std::string("a.hits"), int64_t{1}));
  CHECK(snap[1] == std::make_pair(std::string("b.rows"), int64_t{3}));
}

TEST_CASE("the services table attributes counters to the instance's component", "[services]") {
  HostRuntime rt;
  InstanceServices one("alpha", rt);
  InstanceServices two("beta", rt);
  const sh_host_services* s1 = one.table();
  const sh_host_services* s2 = two.table();
  CHECK(s1->struct_size == sizeof(sh_host_services));
  CHECK(s1->abi_major == SH_ABI_MAJOR);
  const uint32_t id1 = s1->counter_register(s1->host_ctx, "hits");
  const uint32_t id2 = s2->counter_register(s2->host_ctx, "hits");
  CHECK(id1 != id2);
  s1->counter_add(s1->host_ctx, id1, 2);
  s2->counter_add(s2->host_ctx, id2, 7);
  CHECK(rt.counters.value("alpha.hits") == 2);
  CHECK(rt.counters.value("beta.hits") == 7);
  // Symbols are host-wide: the same name has the same id for every instance.
  CHECK(s1->intern_symbol(s1->host_ctx, "BTC") == s2->intern_symbol(s2->host_ctx, "BTC"));
  CHECK(s1->intern_symbol(s1->host_ctx, nullptr) == SH_INVALID_SYMBOL);
  CHECK(std::string(s2->symbol_name(s2->host_ctx, 1)) == "BTC");
  s1->log(s1->host_ctx, SH_LOG_INFO, "hello from a plugin");
}

TEST_CASE("the host clock returns event time in virtual mode and wall time otherwise",
          "[services]") {
  HostClock clock;
  CHECK(clock.mode() == HostClock::Mode::kWall);
  const int64_t before = HostClock::wall_ns();
  CHECK(clock.now_ns() >= before);
  clock.set_virtual_ns(42);
  CHECK(clock.mode() == HostClock::Mode::kVirtual);
  CHECK(clock.now_ns() == 42);
  CHECK(clock.now_ns() == 42);  // does not advance by itself
  HostRuntime rt;
  InstanceServices svc("x", rt);
  rt.clock.set_virtual_ns(1234);
  CHECK(svc.table()->now_ns(svc.table()->host_ctx) == 1234);
  clock.use_wall();
  CHECK(clock.now_ns() >= before);
}

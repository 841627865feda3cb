// bench_http_metrics: the host's HTTP server under a scraper (issue 15),
// through the real `host` binary of this build tree (bin/host), replaying a
// synthetic session at full speed (100 symbols, the three spike detectors,
// two experts, a circuit breaker, the paper venue; host.http on).
//
//   (a) GET /metrics scrape latency, p50 / p99, 10 scrapes a second while
//       the pipeline replays        vs  GET /health in the same runs (the
//                                       server's floor: no rendering)
//   (b) the pipeline's throughput, events/s (run_summary.json), with 10
//       scrapes a second             vs  the same replay with none, runs
//                                       alternating; ratio (target >= 0.98)
//
// Usage: bench_http_metrics [runs=5] [events=6000000]   (Release build)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// One GET on a new connection, read to the end; the bytes, "" on failure.
std::string get(int port, const char* path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = std::string("GET ") + path + " HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out.rfind("HTTP/1.1 200", 0) == 0 ? out : std::string();
}

std::string config(int port, long long events) {
  return "host: {mode: replay, state_dir: state, output_dir: out, log: {level: warn},\n"
         "       plugin_dirs: ['" SH_PLUGIN_DIR "'], http: {port: " + std::to_string(port) + "}}\n"
         "providers:\n"
         "  - {name: synth, plugin: synthetic, config: {symbol_count: 100, seed: 7, events: " +
         std::to_string(events) + ", events_per_second: 2000}}\n"
         "conveyor: {baseline_warmup: 30}\n"
         "detectors:\n"
         "  - {name: return_spike, plugin: return_spike, config: {}}\n"
         "  - {name: volume_spike, plugin: volume_spike, config: {}}\n"
         "  - {name: spread_blowout, plugin: spread_blowout, config: {}}\n"
         "experts:\n"
         "  - {name: momentum, plugin: momentum, config: {}}\n"
         "  - {name: anomaly, plugin: anomaly, config: {}}\n"
         "risk:\n"
         "  - {name: breaker, plugin: circuit_breaker, config: {}}\n"
         "consensus: {weights: {momentum: 0.5, anomaly: 0.5}, threshold: 0.55, min_confidence: 0.1}\n";
}

struct RunResult {
  double events_per_s = 0;
  std::vector<double> metrics_ms, health_ms;
};

// One replay; with scrapes: /metrics then /health, 10 pairs a second.
RunResult run_once(const fs::path& dir, long long events, bool scrape) {
  const int port = free_port();
  std::ofstream(dir / "host.yaml") << config(port, events);
  const std::string host = (fs::path(SH_PLUGIN_DIR) / ".." / "bin" / "host").lexically_normal().string();
  std::fflush(stdout);  // or the child's freopen writes our buffered lines again
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    std::freopen("/dev/null", "w", stdout);
    std::freopen((dir / "host.stderr").c_str(), "w", stderr);
    ::execl(host.c_str(), host.c_str(), "--config", "host.yaml", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  RunResult r;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    auto next = Clock::now();
    while (!done.load()) {
      if (scrape) {
        auto t0 = Clock::now();
        if (!get(port, "/metrics").empty()) {
          r.metrics_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          t0 = Clock::now();
          if (!get(port, "/health").empty())
            r.health_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
      }
      next += std::chrono::milliseconds(100);
      std::this_thread::sleep_until(next);
    }
  });
  int status = 0;
  ::waitpid(pid, &status, 0);
  done = true;
  scraper.join();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "host failed (status %d); see %s\n", status, (dir / "host.stderr").c_str());
    std::exit(1);
  }
  std::ifstream in(dir / "out" / "run_summary.json");
  const auto j = nlohmann::json::parse(in);
  r.events_per_s = j["events_in"].get<double>() / j["wall_seconds"].get<double>();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const long long events = argc > 2 ? std::atoll(argv[2]) : 6000000;
  const fs::path dir = fs::temp_directory_path() / ("bench_http_metrics-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<double> with, without, ratios, metrics_ms, health_ms;
  run_once(dir, events / 4, false);  // warm the page cache and the plugins
  for (int i = 0; i < runs; ++i) {
    // Alternate, so that drift of a shared machine hits both alike.
    const RunResult a = run_once(dir, events, i % 2 == 0);
    const RunResult b = run_once(dir, events, i % 2 != 0);
    const RunResult& s = i % 2 == 0 ? a : b;
    const RunResult& n = i % 2 == 0 ? b : a;
    with.push_back(s.events_per_s);
    ratios.push_back(s.events_per_s / n.events_per_s);
    without.push_back(n.events_per_s);
    metrics_ms.insert(metrics_ms.end(), s.metrics_ms.begin(), s.metrics_ms.end());
    health_ms.insert(health_ms.end(), s.health_ms.begin(), s.health_ms.end());
    std::printf("run %d: %.2f M events/s with 10 scrapes/s, %.2f M events/s without (ratio %.3f)\n", i + 1,
                s.events_per_s / 1e6, n.events_per_s / 1e6, s.events_per_s / n.events_per_s);
  }
  fs::remove_all(dir);
  const double w = pct(with, 0.5), wo = pct(without, 0.5);
  std::printf("\n%zu replays of %lld events each way, 100 symbols, host.http on in both\n", with.size(), events);
  std::printf("(a) GET /metrics while replaying: p50 %.3f ms, p99 %.3f ms (%zu scrapes)"
              "   | GET /health, same runs: p50 %.3f ms, p99 %.3f ms\n",
              pct(metrics_ms, 0.5), pct(metrics_ms, 0.99), metrics_ms.size(), pct(health_ms, 0.5),
              pct(health_ms, 0.99));
  std::printf("(b) pipeline with 10 scrapes/s: %.2f M events/s (median)"
              "   | without scrapes: %.2f M events/s   ratio of medians %.3f, median of the pairs' "
              "ratios %.3f (target >= 0.98)\n",
              w / 1e6, wo / 1e6, w / wo, pct(ratios, 0.5));
  return 0;
}

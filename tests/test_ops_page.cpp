// [ops] The live status page (GET /) as an operator sees it: headless
// Chromium (Debian `chromium`) loads it from a running host, runs its script
// against /api/status, and the rendered DOM shows every component with its
// version, the breaker and kill-switch state, and plots of equity and close
// latency; a screenshot is taken (kept in the scratch dir on failure).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <regex>

#include "test_ops_support.h"

using namespace sh_test;
using nlohmann::json;
using Catch::Contains;

namespace {

// Runs chromium headless on `url` with `flags`; stdout to out_file.
int chromium(const ScratchDir& dir, const std::string& flags, const std::string& url, const fs::path& out_file) {
  const std::string cmd = "chromium --headless --no-sandbox --disable-gpu --no-first-run "
                          "--disable-dev-shm-usage --user-data-dir='" + (dir / "chrome").string() +
                          "' --window-size=1280,1000 --virtual-time-budget=6000 " + flags + " '" + url +
                          "' > '" + out_file.string() + "' 2>'" + (dir / "chromium.err").string() + "'";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The text of the first element with id="id" (tags stripped), from a DOM dump.
std::string element_text(const std::string& dom, const std::string& id) {
  const size_t at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const size_t open_end = dom.find('>', at);
  const std::string rest = dom.substr(open_end + 1, 4000);
  return std::regex_replace(rest.substr(0, rest.find("</section>")), std::regex("<[^>]*>"), " ");
}

}  // namespace

TEST_CASE("headless Chromium renders the status page: components, versions, breaker state, plots", "[ops][page]") {
  REQUIRE(std::system("command -v chromium >/dev/null") == 0);  // tools/install-deps.sh installs it
  ScratchDir dir("ops_page");
  const int port = free_tcp_port();
  write_file(dir / "host.yaml", ops_host_yaml(port));
  BackgroundHost h = start_ops_host(dir, port);
  HostGuard guard{h};

  const HttpReply page = http_get(port, "/");
  REQUIRE(page.status == 200);
  CHECK_THAT(page.head, Contains("Content-Type: text/html"));
  CHECK_THAT(page.body, Contains("/api/status"));
  CHECK(page.body.find("http://") == std::string::npos);  // nothing from a CDN
  CHECK(page.body.find("https://") == std::string::npos);
  // Minutes with fills: the plots have points to draw.
  REQUIRE(wait_for([&] {
    const HttpReply r = http_get(port, "/api/status");
    return r.status == 200 && json::parse(r.body)["series"]["equity_usd"].size() >= 3;
  }, h.pid, 20));

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  REQUIRE(chromium(dir, "--dump-dom", url, dir / "dom.html") == 0);
  const std::string dom = read_file(dir / "dom.html");
  INFO(read_file(dir / "chromium.err").substr(0, 2000));
  REQUIRE_THAT(dom, Contains("data-refreshed="));  // the script ran and rendered a status
  const json s = json::parse(http_get(port, "/api/status").body);

  // Every component, with its serving version, is a row of the table.
  const std::string components = element_text(dom, "components");
  REQUIRE(s["components"].size() == 6);
  for (const auto& c : s["components"]) {
    const std::string name = c["name"].get<std::string>();
    CHECK_THAT(dom, Contains("data-key=\"" + name + "\""));
    CHECK_THAT(components, Contains(name));
  }
  CHECK_THAT(components, Contains("1.0.0"));
  // The breaker's and the kill switch's state, as the host reports them.
  const std::string risk = element_text(dom, "risk");
  const bool open = s["decision"]["risk"][0]["breaker_open"].get<bool>();
  CHECK_THAT(risk, Contains(open ? "breaker OPEN" : "breaker closed"));
  CHECK_THAT(risk, Contains("kill switch clear"));
  CHECK(element_text(dom, "mode").find("production") != std::string::npos);
  CHECK_THAT(element_text(dom, "trading"), Contains("on"));
  // Both plots drew a line of several points.
  CHECK(std::regex_search(dom, std::regex("id=\"equity-plot\"[^>]*data-points=\"([3-9]|[1-9][0-9]+)\"")));
  CHECK(std::regex_search(dom, std::regex("id=\"close-plot\"[^>]*data-points=\"([3-9]|[1-9][0-9]+)\"")));

  // The screenshot: a PNG of the rendered page.
  REQUIRE(chromium(dir, "--screenshot='" + (dir / "page.png").string() + "'", url, dir / "shot.out") == 0);
  const std::string png = read_file(dir / "page.png");
  REQUIRE(png.size() > 10000);
  CHECK(png.compare(1, 3, "PNG") == 0);

  CHECK(stop_host(h) == 0);
}

#include "cli/capture_command.h"

#include <strategy_host/capture_format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/pipeline_config.h"
#include "isolation/plugin_selection.h"
#include "pipeline/ingress.h"
#include "plugins/component_loader.h"
#include "services/host_services.h"
#include "store/time_format.h"

namespace sh::host {

namespace po = boost::program_options;
namespace fs = std::filesystem;

void add_capture_options(po::options_description& options) {
  options.add_options()
      ("to", po::value<std::string>()->value_name("FILE"), "convert: the capture to write (.shcap)")
      ("force", "convert: replace FILE if it exists")
      ("format", po::value<std::string>()->default_value("text"), "info: text or json");
}

namespace {

// Writes the delivered events as capture records; the symbol table is the
// host's interned names in id order, so a replay interns them in the order
// the converted run did (the same ids, the same digest).
class CaptureWriter final : public IngressTarget {
 public:
  CaptureWriter(std::FILE* f, const fs::path& path) : f_(f), path_(path) {
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
    sh_capture_header blank{};
    write(&blank, sizeof blank);  // rewritten at the end
  }

  void deliver(const sh_market_event* events, size_t count, size_t stride) override {
    const auto* base = reinterpret_cast<const unsigned char*>(events);
    for (size_t i = 0; i < count && error_.empty(); ++i) {
      sh_market_event e;
      std::memcpy(&e, base + i * stride, sizeof e);
      if (e.symbol == SH_INVALID_SYMBOL || e.type < SH_EVENT_TRADE || e.type > SH_EVENT_BAR || e.flags > 0xFFFFu) {
        error_ = "event " + std::to_string(events_) + ": type " + std::to_string(e.type) + ", flags " +
                 std::to_string(e.flags) + ", symbol " + std::to_string(e.symbol) + " cannot be captured";
        return;
      }
      sh_capture_record r{};
      r.ts_ns = e.ts_ns;
      r.recv_ts_ns = e.recv_ts_ns;
      r.symbol = e.symbol - 1;
      r.type = static_cast<uint16_t>(e.type);
      r.flags = static_cast<uint16_t>(e.flags);
      std::memcpy(r.data, &e.data, sizeof r.data);
      if (events_ == 0) header_.first_ts_ns = e.ts_ns;
      header_.last_ts_ns = e.ts_ns;
      ++events_;
      ++header_.record_count;
      write(&r, sizeof r);
    }
  }
  Status take_deferred_error() override { return Status::Ok(); }
  Status process_closed() override {
    return error_.empty() ? Status::Ok() : Status::InvalidArgument(path_.string() + ": " + error_);
  }
  // The receive clock the ingress passes on after a poll (live sources): a
  // tick record where it moved, so the replay closes the same minutes.
  void on_clock(int64_t recv_clock_ns) override {
    if (recv_clock_ns == last_clock_) return;
    last_clock_ = recv_clock_ns;
    sh_capture_record r{};
    r.ts_ns = recv_clock_ns;
    r.type = SH_CAPTURE_CLOCK_TICK;
    header_.flags |= SH_CAPTURE_CLOCK;
    ++ticks_;
    ++header_.record_count;
    write(&r, sizeof r);
  }

  // The symbol table and the header. The names of every interned id.
  Status finish(const SymbolTable& symbols) {
    if (!error_.empty()) return Status::InvalidArgument(path_.string() + ": " + error_);
    header_.events_offset = sizeof(sh_capture_header);
    header_.symbols_offset = header_.events_offset + header_.record_count * sizeof(sh_capture_record);
    header_.symbol_count = static_cast<uint32_t>(symbols.size());
    for (sh_symbol_id id = 1; id <= header_.symbol_count; ++id) {
      const char* name = symbols.name(id);
      const uint16_t len = static_cast<uint16_t>(std::strlen(name));  // names are at most 256 bytes
      write(&len, sizeof len);
      write(name, len);
    }
    std::memcpy(header_.magic, SH_CAPTURE_MAGIC, sizeof header_.magic);
    header_.version = SH_CAPTURE_VERSION;
    header_.record_size = sizeof(sh_capture_record);
    header_.flags |= SH_CAPTURE_COMPLETE;
    if (std::fflush(f_) != 0 || std::fseek(f_, 0, SEEK_SET) != 0) io_error_ = true;
    write(&header_, sizeof header_);
    if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) io_error_ = true;
    if (io_error_) return Status::IoError(path_.string() + ": write failed: " + std::strerror(errno));
    return Status::Ok();
  }
  const sh_capture_header& header() const { return header_; }
  uint64_t events() const { return events_; }
  uint64_t ticks() const { return ticks_; }

 private:
  void write(const void* p, size_t n) {
    if (!io_error_ && std::fwrite(p, 1, n, f_) != n) io_error_ = true;
  }

  std::FILE* f_;
  fs::path path_;
  sh_capture_header header_{};
  std::string error_;
  bool io_error_ = false;
  uint64_t events_ = 0, ticks_ = 0;
  int64_t last_clock_ = 0;
};

int capture_convert(const HostConfig& config, const CliOptions& options) {
  if (!options.vm.count("to")) {
    std::cerr << "host capture convert: --to FILE.shcap is required\n";
    return 2;
  }
  const fs::path out = fs::absolute(options.vm["to"].as<std::string>());
  std::error_code ec;
  if (fs::exists(out, ec) && !options.vm.count("force")) {
    std::cerr << "host capture convert: " << out.string() << " exists (--force replaces it)\n";
    return 1;
  }
  HostRuntime runtime;
  runtime.config_dir = config.base_dir();
  bool receive_clock = false;
  try {
    // As a run does, before its providers: the symbols the config interns.
    receive_clock = parse_pipeline_config(config, runtime).conveyor.receive_clock;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  const PluginCatalog catalog = scan_configured_plugins(config);
  std::vector<std::unique_ptr<PluginInstance>> instances;
  std::vector<PluginInstance*> providers;
  for (const ComponentConfig* c : config.components()) {
    if (c->is_lua || c->kind != SH_KIND_PROVIDER) continue;
    PluginInstance::Created created = load_component(config, *c, catalog, runtime);
    if (!created.instance) {
      std::cerr << created.error << "\n";
      return 1;
    }
    providers.push_back(created.instance.get());
    instances.push_back(std::move(created.instance));
  }
  if (providers.empty()) {
    std::cerr << config.source_name() << ": no providers: nothing to convert\n";
    return 1;
  }
  const fs::path tmp = out.string() + ".tmp";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!f) {
    std::cerr << "host capture convert: " << tmp.string() << ": cannot write: " << std::strerror(errno) << "\n";
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  ComponentRegistry registry;
  // Merged as the run merges them (by receive time in the live modes).
  Ingress ingress(providers, registry, receive_clock);
  CaptureWriter writer(f.get(), out);
  RunSummary summary;
  Status st;
  while (st.ok() && !ingress.all_done()) {
    bool progressed = false;
    st = ingress.poll(writer, 1 << 16, &summary, &progressed);
    if (st.ok()) st = writer.process_closed();
  }
  if (st.ok()) {
    ingress.finish(writer);
    st = writer.process_closed();
  }
  if (st.ok() && summary.provider_errors > 0) {
    st = Status::InvalidArgument(std::to_string(summary.provider_errors) +
                                 " provider(s) failed (logged above): the capture would be incomplete");
  }
  if (st.ok()) st = writer.finish(runtime.symbols);
  f.reset();
  if (st.ok() && std::rename(tmp.c_str(), out.c_str()) != 0) {
    st = Status::IoError(out.string() + ": rename: " + std::strerror(errno));
  }
  if (!st.ok()) {
    fs::remove(tmp, ec);
    std::cerr << "host capture convert: " << st.message() << "\n";
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const sh_capture_header& h = writer.header();
  std::cout << "wrote " << out.string() << ": " << writer.events() << " events, " << writer.ticks()
            << " clock ticks, " << h.symbol_count << " symbols, "
            << (writer.events() ? format_iso8601_utc(h.first_ts_ns) + " .. " + format_iso8601_utc(h.last_ts_ns) : "empty")
            << " (" << fs::file_size(out, ec) << " bytes, " << secs << " s)\n";
  return 0;
}

int capture_info(const CliOptions& options) {
  if (options.args.size() != 2) {
    std::cerr << "host capture info: expected the capture file\n";
    return 2;
  }
  const fs::path path = options.args[1];
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  sh_capture_header h{};
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  std::string problem;
  if (!f) {
    problem = std::string("cannot read: ") + std::strerror(errno);
  } else if (ec || size < sizeof h || std::fread(&h, sizeof h, 1, f.get()) != 1) {
    problem = "shorter than the 64-byte header";
  } else if (std::memcmp(h.magic, SH_CAPTURE_MAGIC, sizeof h.magic) != 0) {
    problem = "not a capture (magic)";
  } else if (h.version != SH_CAPTURE_VERSION || h.record_size != sizeof(sh_capture_record)) {
    problem = "version " + std::to_string(h.version) + ", record_size " + std::to_string(h.record_size) +
              " (this host reads version 1, record_size 72)";
  } else if ((h.flags & SH_CAPTURE_COMPLETE) == 0) {
    problem = "incomplete (flags without COMPLETE): its conversion did not finish";
  } else if (h.symbols_offset != h.events_offset + h.record_count * h.record_size || h.symbols_offset > size) {
    problem = "record_count " + std::to_string(h.record_count) + " does not fit the file's " + std::to_string(size) +
              " bytes (truncated?)";
  }
  if (!problem.empty()) {
    std::cerr << "host capture info: " << path.string() << ": " << problem << "\n";
    return 1;
  }
  if (options.vm["format"].as<std::string>() == "json") {
    std::cout << nlohmann::json{{"file", path.string()}, {"version", h.version}, {"records", h.record_count}, {"clock", (h.flags & SH_CAPTURE_CLOCK) != 0},
                                {"symbols", h.symbol_count}, {"first_ts_ns", h.first_ts_ns},
                                {"last_ts_ns", h.last_ts_ns}, {"bytes", size}}
                     .dump()
              << "\n";
  } else {
    std::cout << path.string() << ": capture version " << h.version << ", " << h.record_count << " records"
              << ((h.flags & SH_CAPTURE_CLOCK) ? " (events and receive-clock ticks)" : "") << ", " << h.symbol_count
              << " symbols, "
              << (h.record_count ? format_iso8601_utc(h.first_ts_ns) + " .. " + format_iso8601_utc(h.last_ts_ns)
                                : "empty")
              << ", " << size << " bytes\n";
  }
  return 0;
}

}  // namespace

int run_capture_command(const HostConfig& config, const CliOptions& options) {
  const std::string action = options.args.empty() ? "" : options.args[0];
  const std::string format = options.vm["format"].as<std::string>();
  if (format != "text" && format != "json") {
    std::cerr << "host capture: --format must be text or json\n";
    return 2;
  }
  if (action == "convert" && options.args.size() == 1) return capture_convert(config, options);
  if (action == "info") return capture_info(options);
  std::cerr << "host capture: expected convert --to FILE or info FILE\nTry 'host --help'.\n";
  return 2;
}

}  // namespace sh::host

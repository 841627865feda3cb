// Fuzzes the replay provider's row parsing: the input is one file's bytes
// (CSV or JSON lines, chosen by the first byte, with the type inferred or
// given), read through the real provider (create + poll to the end) with a
// host services table that counts and discards. Any crash, sanitizer report
// or poll error other than a clean end is a finding.
#include <strategy_host/abi.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" const sh_plugin_descriptor* sh_plugin_entry(void);

namespace {

void log_fn(void*, sh_log_level, const char*) {}
uint32_t counter_fn(void*, const char*) { return 1; }
void add_fn(void*, uint32_t, int64_t) {}
int64_t now_fn(void*) { return 1704153600LL * 1000000000LL; }
uint32_t g_next_symbol = 1;
sh_symbol_id intern_fn(void*, const char* name) {
  // As the host: refuse empty, over 256 bytes or control characters.
  size_t n = 0;
  for (const char* p = name; *p; ++p, ++n) {
    if (static_cast<unsigned char>(*p) < 0x20 || n > 256) return SH_INVALID_SYMBOL;
  }
  return n == 0 ? SH_INVALID_SYMBOL : g_next_symbol++;
}
const char* name_fn(void*, sh_symbol_id) { return "SYM"; }
sh_status emit_fn(void*, const sh_market_event*, uint32_t, uint32_t) { return SH_OK; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const int fd = ::memfd_create("fuzz_row", 0);
  if (fd < 0) std::abort();
  const uint8_t mode = data[0];
  ::ftruncate(fd, 0);
  if (size > 1 && ::pwrite(fd, data + 1, size - 1, 0) != static_cast<ssize_t>(size - 1)) std::abort();
  static const char* const kTypes[] = {"", "trades", "quotes", "l2", "bars"};
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  std::string file = "{\"path\": \"" + path + "\", \"format\": \"" + ((mode & 1) ? "jsonl" : "csv") + "\"";
  const char* type = kTypes[(mode >> 1) % 5];
  if (*type) file += std::string(", \"type\": \"") + type + "\"";
  if (mode & 0x40) file += ", \"symbol\": \"FILE\"";
  file += "}";
  const std::string config = "{\"files\": [" + file + "], \"log_limit_per_reason\": 3}";

  sh_host_services host{};
  host.struct_size = sizeof host;
  host.abi_major = SH_ABI_MAJOR;
  host.abi_minor = SH_ABI_MINOR;
  host.log = log_fn;
  host.counter_register = counter_fn;
  host.counter_add = add_fn;
  host.now_ns = now_fn;
  host.intern_symbol = intern_fn;
  host.symbol_name = name_fn;
  const sh_plugin_descriptor* d = sh_plugin_entry();
  sh_status rc = SH_ERR_INTERNAL;
  void* inst = d->create(&host, config.c_str(), &rc);
  if (rc == SH_OK) {
    sh_event_sink sink{};
    sink.struct_size = sizeof sink;
    sink.emit = emit_fn;
    for (int i = 0; i < 100000; ++i) {
      const sh_status st = d->provider->poll(inst, &sink, 4096);
      if (st == SH_END_OF_DATA) break;
      if (st != SH_OK && st != SH_WOULD_BLOCK) std::abort();  // a file never fails the poll
    }
  }
  if (inst) d->destroy(inst);
  return 0;
}

// Raw C ABI written in C++ whose create() lets an exception escape: a contract
// violation the host must survive (it catches at load time).
#include <strategy_host/abi.h>

#include <stdexcept>

namespace {

const char kSchema[] = R"({"type":"object"})";

void* create(const sh_host_services*, const char*, sh_status*) {
  throw std::runtime_error("raw create blew up");
}
void destroy(void*) {}
const char* last_error(void*) { return ""; }
sh_status detect(void*, const sh_feature_batch*, const sh_market_context*, const sh_hit_sink*) {
  return SH_OK;
}

const sh_detector_api kApi = {sizeof(sh_detector_api), &detect};

}  // namespace

extern "C" SH_PLUGIN_EXPORT const sh_plugin_descriptor* sh_plugin_entry(void) {
  static const sh_plugin_descriptor d = [] {
    sh_plugin_descriptor x{};
    x.struct_size = sizeof(x);
    x.abi_major = SH_ABI_MAJOR;
    x.abi_minor = SH_ABI_MINOR;
    x.kind = SH_KIND_DETECTOR;
    x.name = "create_throws_raw";
    x.version = "0.0.1";
    x.description = "create() throws across the C ABI";
    x.config_schema = kSchema;
    x.create = &create;
    x.destroy = &destroy;
    x.last_error = &last_error;
    x.detector = &kApi;
    return x;
  }();
  return &d;
}

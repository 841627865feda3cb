// test_plugins_support.h: loads real plugins from SH_PLUGIN_DIR the way the
// host does (Boost.DLL, rtld_now | rtld_local) and hands them a minimal host
// services table with an intern table, counters and a log.
#ifndef SH_TESTS_TEST_PLUGINS_SUPPORT_H
#define SH_TESTS_TEST_PLUGINS_SUPPORT_H

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS 1
#endif
#include <boost/dll/shared_library.hpp>

#include <strategy_host/abi.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sh_test {

// A host services table backed by plain containers. Not thread-safe; one per test.
class TestHost {
 public:
  TestHost() {
    svc_.struct_size = sizeof(svc_);
    svc_.abi_major = SH_ABI_MAJOR;
    svc_.abi_minor = SH_ABI_MINOR;
    svc_.host_ctx = this;
    svc_.log = [](void* c, sh_log_level level, const char* msg) {
      static_cast<TestHost*>(c)->logs.push_back({level, msg ? msg : ""});
    };
    svc_.now_ns = [](void* c) { return static_cast<TestHost*>(c)->now_ns; };
    svc_.intern_symbol = [](void* c, const char* name) {
      return static_cast<TestHost*>(c)->intern(name ? name : "");
    };
    svc_.symbol_name = [](void* c, sh_symbol_id id) -> const char* {
      auto* h = static_cast<TestHost*>(c);
      return id >= 1 && id <= h->names_.size() ? h->names_[id - 1].c_str() : nullptr;
    };
    svc_.counter_register = [](void* c, const char* name) {
      auto* h = static_cast<TestHost*>(c);
      auto it = h->counter_ids_.find(name);
      if (it != h->counter_ids_.end()) return it->second;
      const uint32_t id = static_cast<uint32_t>(h->counter_names_.size());
      h->counter_ids_.emplace(name, id);
      h->counter_names_.push_back(name);
      h->counter_values_.push_back(0);
      return id;
    };
    svc_.counter_add = [](void* c, uint32_t id, int64_t delta) {
      auto* h = static_cast<TestHost*>(c);
      if (id < h->counter_values_.size()) h->counter_values_[id] += delta;
    };
  }
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  const sh_host_services* services() const { return &svc_; }

  sh_symbol_id intern(const std::string& name) {
    if (name.empty()) return SH_INVALID_SYMBOL;
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    names_.push_back(name);
    const auto id = static_cast<sh_symbol_id>(names_.size());
    ids_.emplace(name, id);
    return id;
  }
  std::string name(sh_symbol_id id) const {
    return id >= 1 && id <= names_.size() ? names_[id - 1] : std::string();
  }
  size_t symbol_count() const { return names_.size(); }

  // Value of a counter the plugin registered, or -1 if it never did.
  int64_t counter(const std::string& name) const {
    auto it = counter_ids_.find(name);
    return it == counter_ids_.end() ? -1 : counter_values_[it->second];
  }

  struct LogLine {
    sh_log_level level;
    std::string msg;
  };
  std::vector<LogLine> logs;
  int64_t now_ns = 0;

 private:
  sh_host_services svc_{};
  std::map<std::string, sh_symbol_id> ids_;
  std::vector<std::string> names_;
  std::map<std::string, uint32_t> counter_ids_;
  std::vector<std::string> counter_names_;
  std::vector<int64_t> counter_values_;
};

// A loaded plugin library; the library stays loaded while this object lives.
class LoadedPlugin {
 public:
  explicit LoadedPlugin(const std::string& path)
      : lib_(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local) {
    auto entry = lib_.get<const sh_plugin_descriptor*()>(SH_PLUGIN_ENTRY_SYMBOL);
    desc_ = entry();
    if (desc_ == nullptr) throw std::runtime_error(path + ": entry returned NULL");
  }
  const sh_plugin_descriptor& desc() const { return *desc_; }

 private:
  boost::dll::shared_library lib_;
  const sh_plugin_descriptor* desc_ = nullptr;
};

// Path of an in-tree plugin built into SH_PLUGIN_DIR.
inline std::string plugin_path(const std::string& name) {
  return std::string(SH_PLUGIN_DIR) + "/lib" + name + ".so";
}

// One live instance; destroyed with the object. The plugin must outlive it.
class Instance {
 public:
  Instance(const LoadedPlugin& p, const TestHost& host, const std::string& config_json)
      : d_(&p.desc()) {
    inst_ = d_->create(host.services(), config_json.c_str(), &rc_);
  }
  ~Instance() {
    if (inst_) d_->destroy(inst_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  sh_status create_rc() const { return rc_; }
  void* get() const { return inst_; }
  std::string last_error() const { return inst_ ? d_->last_error(inst_) : std::string(); }
  sh_status set_config(const std::string& json) const { return d_->set_config(inst_, json.c_str()); }

 private:
  const sh_plugin_descriptor* d_;
  void* inst_ = nullptr;
  sh_status rc_ = SH_ERR_INTERNAL;
};

}  // namespace sh_test

#endif  // SH_TESTS_TEST_PLUGINS_SUPPORT_H

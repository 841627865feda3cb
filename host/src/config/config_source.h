// ConfigSource: where a config came from, for error lines and relative paths.
// ConfigError: the one exception type of config loading (never thrown on hot
// paths); its what() is one line, "FILE:LINE:COL: message" when a node is known.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace sh::host {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigSource {
 public:
  ConfigSource() = default;
  // name is shown in errors (the path as the user gave it); relative paths in
  // the config resolve against base_dir.
  ConfigSource(std::string name, std::filesystem::path base_dir)
      : name_(std::move(name)), base_dir_(std::move(base_dir)) {}

  const std::string& name() const { return name_; }
  const std::filesystem::path& base_dir() const { return base_dir_; }

  // "FILE:LINE:COL" (1-based), or "FILE" when the node has no position.
  std::string where(const YAML::Node& node) const;
  std::string where(const YAML::Mark& mark) const;
  // "FILE:LINE:COL: msg".
  std::string message_at(const YAML::Node& node, const std::string& msg) const {
    return where(node) + ": " + msg;
  }
  [[noreturn]] void fail(const YAML::Node& node, const std::string& msg) const {
    throw ConfigError(message_at(node, msg));
  }
  // Absolute, lexically normal path; relative ones resolve against base_dir.
  std::filesystem::path resolve(const std::string& path) const;

 private:
  std::string name_;
  std::filesystem::path base_dir_;
};

}  // namespace sh::host

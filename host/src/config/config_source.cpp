#include "config/config_source.h"

namespace sh::host {

std::string ConfigSource::where(const YAML::Mark& mark) const {
  if (mark.is_null()) return name_;
  return name_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string ConfigSource::where(const YAML::Node& node) const {
  if (!node.IsDefined()) return name_;
  return where(node.Mark());
}

std::filesystem::path ConfigSource::resolve(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_relative()) p = base_dir_ / p;
  return p.lexically_normal();
}

}  // namespace sh::host

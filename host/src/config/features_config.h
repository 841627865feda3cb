// The `features:` section: the feature columns of every row (feature_set.h).
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>

#include "config/host_config.h"
#include "conveyor/feature_set.h"

namespace sh::host {

// The configured set; FeatureSet::default_set() when the section is absent.
// Throws ConfigError "FILE:LINE:COL: features[i] ..." for an unknown
// indicator, input, output or key, a bad window, a duplicate column name.
std::shared_ptr<const FeatureSet> parse_features(const HostConfig& cfg, const YAML::Node& root);

}  // namespace sh::host

#include "cli/config_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "control/config_drift.h"
#include "control/config_history.h"
#include "store/state_store.h"
#include "store/time_format.h"

namespace sh::host {

namespace {

int config_usage(const std::string& msg) {
  std::cerr << "host config: " << msg << "\n";
  return 2;
}

void print_table(const std::vector<ConfigVersion>& rows, std::ostream& out) {
  const std::vector<std::string> head = {"COMPONENT", "VERSION", "LABEL", "HASH", "SWAP",
                                         "EFFECTIVE_SEQ", "ORIGIN", "TIME"};
  std::vector<std::vector<std::string>> cells;
  for (const ConfigVersion& v : rows) {
    cells.push_back({v.component, std::to_string(v.version), v.label, v.content_hash.substr(0, 12),
                     swap_kind_name(v.swap), std::to_string(v.effective_seq), v.origin,
                     format_iso8601_utc(v.wall_ns)});
  }
  std::vector<size_t> width(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    width[c] = head[c].size();
    for (const auto& r : cells) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t c = 0; c < r.size(); ++c) {
      out << r[c];
      if (c + 1 < r.size()) out << std::string(width[c] - r[c].size() + 2, ' ');
    }
    out << "\n";
  };
  line(head);
  for (const auto& r : cells) line(r);
}

// `host config export [--to FILE]`: the YAML with the serving versions'
// parameters in place (comments are not kept).
int export_config(const HostConfig& config, const std::string& to) {
  std::vector<ComponentDrift> drift;
  const Status st = read_config_drift(config, &drift);
  if (!st.ok()) {
    std::cerr << "host config export: " << st.message() << "\n";
    return 1;
  }
  std::vector<std::string> notes;
  const std::string text = export_serving_config(config, drift, &notes);
  if (to.empty()) {
    std::cout << text;
  } else {
    const std::string tmp = to + ".tmp";
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    std::error_code ec;
    if (!f || (std::filesystem::rename(tmp, to, ec), ec)) {
      std::cerr << "host config export: cannot write " << to << (ec ? ": " + ec.message() : "") << "\n";
      return 1;
    }
  }
  std::cerr << "host config export: " << drift.size() << " component(s) differ from "
            << config.source_name() << (drift.empty() ? "" : ":\n" + format_config_drift(drift));
  if (drift.empty()) std::cerr << "\n";
  for (const std::string& n : notes) std::cerr << "  note: " << n << "\n";
  return 0;
}

}  // namespace

void add_config_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("component", po::value<std::string>()->value_name("NAME"), "only this component")
      ("format", po::value<std::string>()->default_value("text"), "history: text or json (JSON lines)")
      ("to", po::value<std::string>()->value_name("FILE"), "export: write the serving config here (default: stdout)");
}

int run_config_command(const HostConfig& config, const CliOptions& options) {
  const auto& vm = options.vm;
  if (options.args.size() != 1 ||
      (options.args[0] != "history" && options.args[0] != "journal" && options.args[0] != "export")) {
    return config_usage("expected 'host config history', 'host config journal' or 'host config export'");
  }
  if (options.args[0] == "export") return export_config(config, vm.count("to") ? vm["to"].as<std::string>() : "");
  const bool journal = options.args[0] == "journal";
  const std::string component = vm.count("component") ? vm["component"].as<std::string>() : "";
  const std::string format = vm["format"].as<std::string>();
  if (format != "text" && format != "json") return config_usage("--format must be text or json");

  StateStoreOptions so;
  so.dir = config.state_dir().string();
  so.read_only = true;
  std::unique_ptr<StateStore> store;
  Status st = StateStore::open(so, &store);
  std::vector<ConfigVersion> rows;
  StateTxn txn;
  if (st.ok()) st = store->begin_read(&txn);
  if (st.ok()) st = journal ? list_swap_journal(txn, &rows) : list_config_versions(txn, component, &rows);
  if (!st.ok()) {
    std::cerr << "host config: " << st.message() << "\n";
    return 1;
  }
  if (journal && !component.empty()) {
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const ConfigVersion& v) { return v.component != component; }),
               rows.end());
  }
  if (journal || format == "json") {
    for (const ConfigVersion& v : rows) std::cout << config_version_to_json(v).dump() << "\n";
  } else {
    print_table(rows, std::cout);
  }
  return 0;
}

}  // namespace sh::host

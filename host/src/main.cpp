// host: the strategy host binary. See README.md.
#include <exception>
#include <iostream>
#include <vector>

#include "cli/backup_command.h"
#include "cli/capture_command.h"
#include "cli/cli.h"
#include "cli/config_command.h"
#include "cli/history_command.h"
#include "cli/reload_command.h"
#include "cli/run_command.h"
#include "cli/status_command.h"
#include "cli/trade_command.h"

namespace {

// Subcommands: one entry each. The first positional argument selects one;
// "run" is the default.
const std::vector<sh::host::Subcommand> kSubcommands = {
    {"run", "run [--swap-journal FILE | --swap-journal-from DIR]", "run the conveyor on the config's providers (the default)", &sh::host::add_run_options,
     &sh::host::run_pipeline_job},
    {"snapshot", "snapshot --symbol S [--from T] [--to T] [--format csv|jsonl]",
     "export stored feature rows (features_snapshot) from the state dir",
     &sh::host::add_snapshot_options, &sh::host::run_snapshot_command},
    {"config", "config history|journal|export [--component C] [--format text|json] [--to FILE]", "the state dir's config versions, swap journal, or the serving config as YAML", &sh::host::add_config_options, &sh::host::run_config_command},
    {"reload", "reload --component C [OPTIONS]", "publish a param.reload message (stored as desired state, signed when configured)", &sh::host::add_reload_options, &sh::host::run_reload_command},
    {"trade", "trade stop|resume|flatten|pause|unpause|reset-risk|router-pause|router-resume", "queue an operator command for the decision layer (applied at the next minute)", nullptr, &sh::host::run_trade_command},
    {"backup", "backup create|list|verify NAME|restore NAME", "back up the store, feeds and config; list, verify and restore backups (runbook 003)", &sh::host::add_backup_options, &sh::host::run_backup_command},
    {"history", "history backfill|verify|status [--symbols A,B] [--restart] [--strict]", "runbook 001 data governance: daily history, quality scores and symbol states (Stage 1)", &sh::host::add_history_options, &sh::host::run_history_command},
    {"capture", "capture convert --to FILE.shcap [--force] | capture info FILE.shcap", "convert the config's market data into a binary capture (replayed by the capture provider), or describe one", &sh::host::add_capture_options, &sh::host::run_capture_command},
    {"status", "status [--format text|json]", "the paper account, positions, orders, queued commands and risk-policy state in the state dir (read-only)", &sh::host::add_status_options, &sh::host::run_status_command},
};

}  // namespace

int main(int argc, char** argv) {
  try {
    return sh::host::run_cli(argc, argv, kSubcommands);
  } catch (const std::exception& e) {
    std::cerr << "host: fatal: " << e.what() << "\n";
    return 1;
  }
}

// Swap journal input for replays: the swaps one session applied, in the
// order they took effect, each with the input event count at which it did.
//
// Sources: a state dir (its swap_journal database, read-only) or a JSON-lines
// file (one ConfigVersion record per line, as `host config journal` prints).
// A store that served several sessions (restarts) holds each one's swaps
// under its own session number; a replay takes the newest session, since the
// effective_seq of each session counts from its own start.
#pragma once

#include <filesystem>
#include <vector>

#include "control/config_history.h"
#include "store/status.h"

namespace sh::host {

// Reads <state_dir>'s swap_journal. Must run before a replay resets that
// store (Pipeline::open) when it is the replay's own state dir.
Status load_swap_journal_from_store(const std::filesystem::path& state_dir,
                                    std::vector<ConfigVersion>* journal);

// Reads a JSON-lines journal file.
Status load_swap_journal_file(const std::filesystem::path& file,
                              std::vector<ConfigVersion>* journal);

// Keeps the newest session's entries, ordered by (effective_seq, sequence).
void select_last_session(std::vector<ConfigVersion>* journal);

}  // namespace sh::host

// feed_files: opening and recovering the output feed files a stage owns
// (the outputs stage's event files, the decision stage's decisions.jsonl and
// trades.csv). See events/feed_recovery.h for why feeds are trimmed.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>

#include "events/feed_recovery.h"
#include "events/jsonl_file_sink.h"
#include "events/output_digest.h"
#include "store/state_store.h"

namespace sh::host {

// Opens dir/file as a JSON-lines feed fed to digest stream `stream`
// (truncated first when `truncate`). An empty `file` is a disabled feed:
// Ok, *out stays null.
Status open_feed_jsonl(const std::filesystem::path& dir, const std::string& file, bool truncate,
                       OutputDigest* digest, const std::string& stream,
                       std::unique_ptr<JsonlFileSink>* out, bool digest_on_write = false);

struct FeedFile {
  const std::string& file;  // in the output dir; "" disabled
  FeedFormat format;
};

// Removes from each feed the lines of minutes after the store's last
// committed minute (nothing committed yet: the files are left alone), and
// logs what it removed.
Status trim_feeds_to_store(const StateStore& store, const std::filesystem::path& dir,
                           std::initializer_list<FeedFile> feeds);

}  // namespace sh::host

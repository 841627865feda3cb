#include "events/feed_files.h"

#include <spdlog/spdlog.h>

#include <system_error>

#include "store/time_format.h"

namespace sh::host {

Status open_feed_jsonl(const std::filesystem::path& dir, const std::string& file, bool truncate,
                       OutputDigest* digest, const std::string& stream,
                       std::unique_ptr<JsonlFileSink>* out, bool digest_on_write) {
  if (file.empty()) return Status::Ok();
  const std::filesystem::path path = dir / file;
  if (truncate) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return Status::IoError(path.string() + ": cannot truncate: " + ec.message());
  }
  JsonlFileSinkOptions o;
  o.path = path.string();
  o.digest = digest;
  o.digest_stream = stream;
  o.digest_on_write = digest_on_write;
  return JsonlFileSink::open(o, out);
}

Status trim_feeds_to_store(const StateStore& store, const std::filesystem::path& dir,
                           std::initializer_list<FeedFile> feeds) {
  int64_t last = 0;
  Status st = store.last_minute_ts_ns(&last);
  if (st.is_not_found()) return Status::Ok();  // nothing committed: leave files alone
  if (!st.ok()) return st;
  for (const FeedFile& f : feeds) {
    if (f.file.empty()) continue;
    size_t removed = 0;
    st = trim_feed_after(dir / f.file, f.format, last, &removed);
    if (!st.ok()) return st;
    if (removed > 0) {
      spdlog::warn("{}: {} line(s) of minutes after the store's last committed minute {} removed",
                   (dir / f.file).string(), removed, format_iso8601_utc(last));
    }
  }
  return Status::Ok();
}

}  // namespace sh::host

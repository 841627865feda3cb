// capture_file.cpp: CaptureWriter / CaptureReader.
#include "exchange/capture_file.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace exchange {

namespace fs = std::filesystem;

RawFrame make_frame(int64_t recv_ts_ns, FrameKind kind, const char* data, size_t len,
                    std::string symbol) {
  RawFrame f;
  f.recv_ts_ns = recv_ts_ns;
  f.kind = kind;
  f.symbol = std::move(symbol);
  f.payload.reserve(len + kFramePadding);
  f.payload.assign(data, len);
  return f;
}

CaptureWriter::CaptureWriter(std::string dir, uint64_t rotate_frames, std::string venue)
    : dir_(std::move(dir)), rotate_frames_(rotate_frames), venue_(std::move(venue)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) error_ = "cannot create " + dir_ + ": " + ec.message();
}

CaptureWriter::~CaptureWriter() { close(); }

void CaptureWriter::close() {
  if (gz_ != nullptr) gzclose(gz_);
  gz_ = nullptr;
  frames_in_file_ = 0;
}

bool CaptureWriter::open(int64_t first_ts_ns) {
  char name[64];
  std::snprintf(name, sizeof(name), "-%019lld-%06llu.cap.gz", static_cast<long long>(first_ts_ns),
                static_cast<unsigned long long>(seq_));
  const std::string path = (fs::path(dir_) / (venue_ + name)).string();
  gz_ = gzopen(path.c_str(), "wb6");
  if (gz_ == nullptr) {
    error_ = "cannot open " + path;
    return false;
  }
  ++seq_;
  gzbuffer(gz_, 1 << 17);
  const std::string header = "# sh-" + venue_ + "-capture v1\n";
  return gzputs(gz_, header.c_str()) > 0;
}

bool CaptureWriter::write(const RawFrame& f) {
  if (gz_ != nullptr && frames_in_file_ >= rotate_frames_) close();
  if (gz_ == nullptr && !open(f.recv_ts_ns)) return false;
  line_.clear();
  line_ += std::to_string(f.recv_ts_ns);
  line_ += ' ';
  line_ += static_cast<char>(f.kind);
  line_ += ' ';
  line_ += f.symbol.empty() ? std::string("-") : f.symbol;
  line_ += ' ';
  const size_t start = line_.size();
  line_ += f.payload;
  // JSON strings cannot hold raw line breaks, so outside them these are
  // insignificant whitespace: a frame stays one line.
  std::replace(line_.begin() + static_cast<std::ptrdiff_t>(start), line_.end(), '\n', ' ');
  std::replace(line_.begin() + static_cast<std::ptrdiff_t>(start), line_.end(), '\r', ' ');
  line_ += '\n';
  if (gzwrite(gz_, line_.data(), static_cast<unsigned>(line_.size())) != static_cast<int>(line_.size())) {
    int err = 0;
    error_ = std::string("capture write failed: ") + gzerror(gz_, &err);
    close();
    return false;
  }
  ++frames_in_file_;
  return true;
}

void CaptureWriter::flush() {
  if (gz_ != nullptr) gzflush(gz_, Z_SYNC_FLUSH);
}

CaptureReader::CaptureReader(const std::string& file_or_dir) : buf_(1 << 16) {
  std::error_code ec;
  if (fs::is_directory(file_or_dir, ec)) {
    for (const auto& e : fs::directory_iterator(file_or_dir)) {
      const std::string name = e.path().filename().string();
      if (name.size() > 7 && name.compare(name.size() - 7, 7, ".cap.gz") == 0)
        files_.push_back(e.path().string());
    }
    std::sort(files_.begin(), files_.end());
    if (files_.empty()) throw std::runtime_error("capture directory " + file_or_dir + " has no *.cap.gz file");
  } else if (fs::exists(file_or_dir, ec)) {
    files_.push_back(file_or_dir);
  } else {
    throw std::runtime_error("capture " + file_or_dir + " does not exist");
  }
}

CaptureReader::~CaptureReader() {
  if (gz_ != nullptr) gzclose(gz_);
}

bool CaptureReader::read_line(std::string* line) {
  line->clear();
  for (;;) {
    if (gz_ == nullptr) {
      if (file_index_ >= files_.size()) return false;
      gz_ = gzopen(files_[file_index_++].c_str(), "rb");  // reads plain files too
      if (gz_ == nullptr) continue;
      gzbuffer(gz_, 1 << 17);
    }
    if (gzgets(gz_, buf_.data(), static_cast<int>(buf_.size())) == nullptr) {
      if (!line->empty()) return true;  // last line without '\n'
      gzclose(gz_);
      gz_ = nullptr;
      continue;
    }
    line->append(buf_.data());
    if (!line->empty() && line->back() == '\n') {
      line->pop_back();
      return true;
    }
  }
}

bool CaptureReader::next(RawFrame* out) {
  std::string line;
  while (read_line(&line)) {
    if (line.empty() || line[0] == '#') continue;
    // <recv_ts_ns> <kind> <symbol or -> <payload>
    char* end = nullptr;
    const long long ts = std::strtoll(line.c_str(), &end, 10);
    const size_t p1 = static_cast<size_t>(end - line.c_str());
    if (p1 == 0 || p1 + 3 > line.size() || line[p1] != ' ' || line[p1 + 2] != ' ') {
      ++bad_lines_;
      continue;
    }
    const char kind = line[p1 + 1];
    const size_t p3 = line.find(' ', p1 + 3);
    if (p3 == std::string::npos || std::string("WSCDOET").find(kind) == std::string::npos) {
      ++bad_lines_;
      continue;
    }
    std::string symbol = line.substr(p1 + 3, p3 - p1 - 3);
    if (symbol == "-") symbol.clear();
    *out = make_frame(ts, static_cast<FrameKind>(kind), line.data() + p3 + 1, line.size() - p3 - 1,
                      std::move(symbol));
    return true;
  }
  return false;
}

}  // namespace exchange

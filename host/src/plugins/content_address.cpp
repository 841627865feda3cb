#include "plugins/content_address.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

namespace sh::host {
namespace fs = std::filesystem;

namespace {

constexpr size_t kPieceBytes = 64 * 1024;

// SHA-256 over pieces of input.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void update(const char* data, size_t n) {
    if (ok_ && n > 0) ok_ = EVP_DigestUpdate(ctx_.get(), data, n) == 1;
  }
  // 64 lowercase hex digits; empty if OpenSSL failed.
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &len) != 1) return "";
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
      out.push_back(kHex[digest[i] >> 4]);
      out.push_back(kHex[digest[i] & 0xf]);
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  bool ok_ = false;
};

// An open file descriptor, closed when it goes.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads the file in 64 KiB pieces through one buffer, calling on_piece for
// each: the host hashes every plugin it opens, and reading each whole file
// into a growing string cost a page fault per 4 KiB at start-up (15 us each
// on a virtual machine), for files of up to a few MB. (The buffer's heap
// chunk is reused from one file to the next.)
template <typename OnPiece>
bool read_pieces(const fs::path& path, OnPiece&& on_piece, std::string* error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    *error = path.string() + ": is a directory";
    return false;
  }
  Fd in;
  in.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.fd < 0) {
    *error = path.string() + ": cannot open: " + std::strerror(errno);
    return false;
  }
  const std::unique_ptr<char[]> buf(new char[kPieceBytes]);
  for (;;) {
    const ssize_t n = ::read(in.fd, buf.get(), kPieceBytes);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = path.string() + ": read failed: " + std::strerror(errno);
      return false;
    }
    if (!on_piece(buf.get(), static_cast<size_t>(n))) return false;
  }
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  Sha256 h;
  h.update(bytes.data(), bytes.size());
  return h.hex();
}

std::optional<std::string> sha256_file(const fs::path& path, std::string* error) {
  Sha256 h;
  if (!read_pieces(path, [&h](const char* data, size_t n) { h.update(data, n); return true; }, error)) {
    return std::nullopt;
  }
  std::string hex = h.hex();
  if (hex.empty()) {
    *error = path.string() + ": SHA-256 failed";
    return std::nullopt;
  }
  return hex;
}

std::optional<fs::path> copy_to_content_addressed(const fs::path& path, const fs::path& cache_dir,
                                                  std::string* error) {
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) {
    *error = cache_dir.string() + ": cannot create directory: " + ec.message();
    return std::nullopt;
  }
  // Already there (the usual case at a start): nothing to write.
  {
    const std::optional<std::string> hex = sha256_file(path, error);
    if (!hex) return std::nullopt;
    const fs::path known = cache_dir / (*hex + "-" + path.filename().string());
    if (fs::exists(known, ec)) return known;
  }
  // The bytes are hashed again as they are copied, so the name is that of
  // the bytes written even if the file changed meanwhile.
  static std::atomic<uint64_t> copies{0};
  const fs::path tmp = cache_dir / (".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++copies) +
                                    "-" + path.filename().string());
  Sha256 h;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *error = tmp.string() + ": cannot create: " + std::strerror(errno);
      return std::nullopt;
    }
    const bool read_ok = read_pieces(
        path,
        [&](const char* data, size_t n) {
          h.update(data, n);
          out.write(data, static_cast<std::streamsize>(n));
          return static_cast<bool>(out);
        },
        error);
    out.close();
    if (!read_ok || !out) {
      if (read_ok) *error = tmp.string() + ": write failed";
      fs::remove(tmp, ec);
      return std::nullopt;
    }
  }
  const std::string hex = h.hex();
  if (hex.empty()) {
    *error = path.string() + ": SHA-256 failed";
    fs::remove(tmp, ec);
    return std::nullopt;
  }
  const fs::path target = cache_dir / (hex + "-" + path.filename().string());
  if (fs::exists(target, ec)) {
    fs::remove(tmp, ec);
    return target;
  }
  // Keep the source's permission bits (an executable bit is harmless for dlopen).
  fs::permissions(tmp, fs::status(path, ec).permissions(), ec);
  fs::rename(tmp, target, ec);
  if (ec) {
    *error = target.string() + ": rename failed: " + ec.message();
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return std::nullopt;
  }
  return target;
}

}  // namespace sh::host

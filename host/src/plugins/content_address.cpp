#include "plugins/content_address.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

namespace sh::host {
namespace fs = std::filesystem;

namespace {

bool read_all(const fs::path& path, std::string* bytes, std::string* error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    *error = path.string() + ": is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path.string() + ": cannot open: " + std::strerror(errno);
    return false;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    *error = path.string() + ": read failed";
    return false;
  }
  *bytes = std::move(buf).str();
  return true;
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    return "";
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::optional<std::string> sha256_file(const fs::path& path, std::string* error) {
  std::string bytes;
  if (!read_all(path, &bytes, error)) return std::nullopt;
  std::string hex = sha256_hex(bytes);
  if (hex.empty()) {
    *error = path.string() + ": SHA-256 failed";
    return std::nullopt;
  }
  return hex;
}

std::optional<fs::path> copy_to_content_addressed(const fs::path& path, const fs::path& cache_dir,
                                                  std::string* error) {
  std::string bytes;
  if (!read_all(path, &bytes, error)) return std::nullopt;
  const std::string hex = sha256_hex(bytes);
  if (hex.empty()) {
    *error = path.string() + ": SHA-256 failed";
    return std::nullopt;
  }
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) {
    *error = cache_dir.string() + ": cannot create directory: " + ec.message();
    return std::nullopt;
  }
  const fs::path target = cache_dir / (hex + "-" + path.filename().string());
  if (fs::exists(target, ec)) return target;

  const fs::path tmp = cache_dir / (".tmp-" + std::to_string(::getpid()) + "-" + hex);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      *error = tmp.string() + ": write failed";
      fs::remove(tmp, ec);
      return std::nullopt;
    }
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

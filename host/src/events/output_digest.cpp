#include "events/output_digest.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>

#include <openssl/evp.h>

namespace sh::host {

// Named, not anonymous: OutputDigest::Stream (declared in the header) holds
// one, and in a unity build a member of a type with internal linkage trips
// -Wsubobject-linkage.
struct OutputDigestMdCtx {
  OutputDigestMdCtx() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr) throw std::bad_alloc();
  }
  ~OutputDigestMdCtx() { EVP_MD_CTX_free(ctx); }
  OutputDigestMdCtx(const OutputDigestMdCtx&) = delete;
  OutputDigestMdCtx& operator=(const OutputDigestMdCtx&) = delete;
  EVP_MD_CTX* ctx;
};

namespace {

using MdCtx = OutputDigestMdCtx;

[[noreturn]] void digest_failed(const char* what) {
  std::fprintf(stderr, "output digest: OpenSSL %s failed\n", what);
  std::abort();
}

void init(EVP_MD_CTX* ctx) {
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) digest_failed("DigestInit");
}

void update(EVP_MD_CTX* ctx, const void* data, size_t n) {
  if (n != 0 && EVP_DigestUpdate(ctx, data, n) != 1) digest_failed("DigestUpdate");
}

// Final digest of a copy of ctx, leaving ctx usable.
std::string final_copy(const EVP_MD_CTX* ctx) {
  MdCtx copy;
  if (EVP_MD_CTX_copy_ex(copy.ctx, ctx) != 1) digest_failed("MD_CTX_copy");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(copy.ctx, md, &len) != 1) digest_failed("DigestFinal");
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string to_hex(const std::string& raw) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

}  // namespace

struct OutputDigest::Stream {
  OutputDigestMdCtx md;
  uint64_t bytes = 0;
};

OutputDigest::OutputDigest() = default;
OutputDigest::~OutputDigest() = default;

void OutputDigest::add(std::string_view stream_name, std::string_view bytes) {
  Stream* stream = nullptr;
  {
    // The map only: a stream is fed by one thread at a time (the header).
    std::lock_guard<std::mutex> lock(map_mu_);
    auto it = streams_.find(stream_name);
    if (it == streams_.end()) {
      auto s = std::make_unique<Stream>();
      init(s->md.ctx);
      it = streams_.emplace(std::string(stream_name), std::move(s)).first;
    }
    stream = it->second.get();
  }
  update(stream->md.ctx, bytes.data(), bytes.size());
  stream->bytes += bytes.size();
}

std::string OutputDigest::hex_digest() const {
  MdCtx total;
  init(total.ctx);
  for (const auto& [name, stream] : streams_) {  // std::map: sorted by name
    const std::string count = std::to_string(stream->bytes);
    const std::string raw = final_copy(stream->md.ctx);
    update(total.ctx, name.data(), name.size());
    update(total.ctx, "", 1);
    update(total.ctx, count.data(), count.size());
    update(total.ctx, "", 1);
    update(total.ctx, raw.data(), raw.size());
  }
  return to_hex(final_copy(total.ctx));
}

std::vector<OutputDigest::StreamInfo> OutputDigest::streams() const {
  std::vector<StreamInfo> out;
  out.reserve(streams_.size());
  for (const auto& [name, stream] : streams_) {
    out.push_back(StreamInfo{name, stream->bytes, to_hex(final_copy(stream->md.ctx))});
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  MdCtx md;
  init(md.ctx);
  update(md.ctx, bytes.data(), bytes.size());
  return to_hex(final_copy(md.ctx));
}

}  // namespace sh::host

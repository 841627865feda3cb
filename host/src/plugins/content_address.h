// Content addressing of plugin files: a rebuilt .so at the same path must load
// as a new library (dlopen returns the already-mapped one for a known path),
// so the host copies each file it loads for a swap to a path named by its hash.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace sh::host {

// SHA-256 of the file's bytes as 64 lowercase hex digits; nullopt and *error
// set when the file cannot be read.
std::optional<std::string> sha256_file(const std::filesystem::path& path, std::string* error);

// SHA-256 of a byte string, as 64 lowercase hex digits.
std::string sha256_hex(const std::string& bytes);

// Copies `path` to `<cache_dir>/<sha256>-<basename>` (creating cache_dir) and
// returns the new path. The hash is of the bytes actually copied, so a file
// rewritten during the copy never ends up under another content's name. An
// existing target is kept as is (same name, same content). The copy is written
// to a temporary name and renamed, so a reader never sees a partial file.
std::optional<std::filesystem::path> copy_to_content_addressed(
    const std::filesystem::path& path, const std::filesystem::path& cache_dir, std::string* error);

}  // namespace sh::host

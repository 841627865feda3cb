// ELF sanity check run on a plugin file before it is dlopen()ed.
//
// The dynamic loader mmaps a library's PT_LOAD segments; a segment that ends
// past the end of a truncated file is mapped anyway and the first touch of it
// raises SIGBUS, killing the host (listing included). check_elf_file reads
// only the file's headers with read(), so a bad file becomes a status line.
#pragma once

#include <filesystem>
#include <string>

namespace sh::host {

// "" when the file is not an ELF file at all (no magic: dlopen refuses it
// cleanly) or when its headers are consistent with its size; otherwise one
// line saying what is wrong, e.g. "PT_LOAD segment 2 ends at byte 14096,
// past the end of the file (8000 bytes)".
std::string check_elf_file(const std::filesystem::path& path);

}  // namespace sh::host

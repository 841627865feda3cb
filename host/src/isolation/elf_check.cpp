#include "isolation/elf_check.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace sh::host {

namespace {

// Reads exactly n bytes at offset; false on a short read or an error.
bool read_at(int fd, uint64_t offset, void* out, size_t n) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, static_cast<char*>(out) + done, n - done,
                              static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

std::string past_end(const std::string& what, uint64_t end, uint64_t size) {
  return what + " ends at byte " + std::to_string(end) + ", past the end of the file (" +
         std::to_string(size) + " bytes)";
}

// Ehdr/Phdr: the class's header types (Elf32_* or Elf64_*).
template <typename Ehdr, typename Phdr>
std::string check_class(int fd, uint64_t size) {
  Ehdr eh;
  if (size < sizeof(Ehdr) || !read_at(fd, 0, &eh, sizeof(eh))) {
    return "the ELF header needs " + std::to_string(sizeof(Ehdr)) + " bytes, the file has " +
           std::to_string(size);
  }
  if (eh.e_phnum > 0) {
    if (eh.e_phentsize != sizeof(Phdr)) {
      return "program header entry size " + std::to_string(eh.e_phentsize) + " (expected " +
             std::to_string(sizeof(Phdr)) + ")";
    }
    const uint64_t ph_end = uint64_t(eh.e_phoff) + uint64_t(eh.e_phnum) * sizeof(Phdr);
    if (ph_end > size) return past_end("the program header table", ph_end, size);
    std::vector<Phdr> ph(eh.e_phnum);
    if (!read_at(fd, eh.e_phoff, ph.data(), ph.size() * sizeof(Phdr))) {
      return "the program header table cannot be read";
    }
    for (size_t i = 0; i < ph.size(); ++i) {
      if (ph[i].p_type != PT_LOAD && ph[i].p_type != PT_DYNAMIC) continue;
      const uint64_t end = uint64_t(ph[i].p_offset) + uint64_t(ph[i].p_filesz);
      if (end < ph[i].p_offset || end > size) {
        return past_end(std::string(ph[i].p_type == PT_LOAD ? "PT_LOAD" : "PT_DYNAMIC") +
                            " segment " + std::to_string(i),
                        end, size);
      }
    }
  } else if (eh.e_type == ET_DYN) {
    return "a shared library without program headers";
  }
  if (eh.e_shnum > 0 && eh.e_shoff != 0) {
    const uint64_t sh_end = uint64_t(eh.e_shoff) + uint64_t(eh.e_shnum) * uint64_t(eh.e_shentsize);
    if (sh_end > size) return past_end("the section header table", sh_end, size);
  }
  return "";
}

}  // namespace

std::string check_elf_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";  // dlopen reports a missing or unreadable file itself
  struct stat st {};
  std::string why;
  unsigned char ident[EI_NIDENT] = {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    why = "";
  } else if (static_cast<uint64_t>(st.st_size) < SELFMAG ||
             !read_at(fd, 0, ident, SELFMAG) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    why = "";  // not ELF: dlopen says "invalid ELF header" without mapping anything
  } else if (static_cast<uint64_t>(st.st_size) < EI_NIDENT || !read_at(fd, 0, ident, EI_NIDENT)) {
    why = "the ELF identification is cut short (" + std::to_string(st.st_size) + " bytes)";
  } else if (ident[EI_CLASS] == ELFCLASS64) {
    why = check_class<Elf64_Ehdr, Elf64_Phdr>(fd, static_cast<uint64_t>(st.st_size));
  } else if (ident[EI_CLASS] == ELFCLASS32) {
    why = check_class<Elf32_Ehdr, Elf32_Phdr>(fd, static_cast<uint64_t>(st.st_size));
  } else {
    why = "unknown ELF class " + std::to_string(ident[EI_CLASS]);
  }
  ::close(fd);
  return why;
}

}  // namespace sh::host

// [loader] Opening plugin files: every way a file can be unusable gets its own
// status and one line naming the file; good plugins expose their descriptor.
#include <unistd.h>

#include <catch2/catch.hpp>

#include "plugins/content_address.h"
#include "plugins/plugin_library.h"
#include "test_host_support.h"

using sh::host::PluginLibrary;
using sh_test::ScratchDir;
using sh_test::test_plugin;

TEST_CASE("a good plugin opens with its identity, schema keys and content hash", "[loader]") {
  auto opened = PluginLibrary::open(test_plugin("good_detector"));
  REQUIRE(opened.status == "ok");
  REQUIRE(opened.ok());
  const auto& lib = *opened.library;
  CHECK(lib.name() == "good_detector");
  CHECK(lib.version() == "1.2.3");
  CHECK(lib.kind() == SH_KIND_DETECTOR);
  CHECK(lib.identity().kind == "detector");
  CHECK(lib.identity().abi == "1.6");
  CHECK(lib.identity().description == "test detector: z_ret over a threshold");
  // Schema order, not alphabetical.
  CHECK(lib.identity().config_keys == std::vector<std::string>{"threshold", "label", "symbols"});
  CHECK(lib.supports_set_config());
  CHECK(lib.content_sha256().size() == 64);
}

TEST_CASE("a plugin built for ABI 2.0 is refused naming both versions", "[loader]") {
  const auto path = test_plugin("abi_major_2");
  auto opened = PluginLibrary::open(path);
  CHECK_FALSE(opened.ok());
  CHECK(opened.status == "incompatible: plugin ABI 2.0, host ABI 1.6");
  CHECK(opened.identity.abi == "2.0");
  CHECK(opened.identity.name.empty());  // nothing past the prefix is trusted
  CHECK(opened.error_line(path) == path.string() + ": incompatible: plugin ABI 2.0, host ABI 1.6");
}

TEST_CASE("a plugin built for a newer minor ABI is refused", "[loader]") {
  auto opened = PluginLibrary::open(test_plugin("abi_minor_newer"));
  CHECK_FALSE(opened.ok());
  CHECK(opened.status == "incompatible: plugin ABI 1.99, host ABI 1.6");
}

TEST_CASE("a library without the entry symbol has no entry point", "[loader]") {
  auto opened = PluginLibrary::open(test_plugin("no_entry"));
  CHECK_FALSE(opened.ok());
  CHECK(opened.status == "no entry point");
}

TEST_CASE("a detector without detect() is an invalid descriptor", "[loader]") {
  auto opened = PluginLibrary::open(test_plugin("missing_function"));
  CHECK_FALSE(opened.ok());
  CHECK(opened.status == "invalid descriptor: missing detector.detect");
  CHECK(opened.identity.name == "missing_function");
}

TEST_CASE("files that are not loadable libraries get a load error with the dlerror text",
          "[loader]") {
  ScratchDir dir("loader_bad_files");
  SECTION("garbage named .so") {
    sh_test::write_file(dir / "garbage.so", "this is not an ELF file\n");
    auto opened = PluginLibrary::open(dir / "garbage.so");
    CHECK_FALSE(opened.ok());
    CHECK_THAT(opened.status, Catch::StartsWith("load error: "));
    CHECK_THAT(opened.status, Catch::Contains("garbage.so"));
  }
  SECTION("truncated library") {
    const std::string full = sh_test::read_file(test_plugin("good_detector"));
    sh_test::write_file(dir / "truncated.so", full.substr(0, 200));
    auto opened = PluginLibrary::open(dir / "truncated.so");
    CHECK_FALSE(opened.ok());
    CHECK_THAT(opened.status, Catch::StartsWith("load error: "));
  }
  SECTION("directory named .so") {
    std::filesystem::create_directories(dir / "x.so");
    auto opened = PluginLibrary::open(dir / "x.so");
    CHECK_FALSE(opened.ok());
    CHECK(opened.status == "load error: " + (dir / "x.so").string() + ": is a directory");
  }
  SECTION("missing file") {
    auto opened = PluginLibrary::open(dir / "absent.so");
    CHECK_FALSE(opened.ok());
    CHECK_THAT(opened.status, Catch::StartsWith("load error: ") && Catch::Contains("absent.so"));
  }
  SECTION("unreadable file") {
    if (::geteuid() == 0) return;  // root reads anything
    std::filesystem::copy_file(test_plugin("good_detector"), dir / "locked.so");
    std::filesystem::permissions(dir / "locked.so", std::filesystem::perms::none);
    auto opened = PluginLibrary::open(dir / "locked.so");
    CHECK_FALSE(opened.ok());
    CHECK_THAT(opened.status, Catch::StartsWith("load error: "));
  }
}

TEST_CASE("content-addressed copies let a rebuilt file load as a new library", "[loader]") {
  ScratchDir dir("loader_content_address");
  const auto cache = dir / "cache";
  std::string error;

  const auto first =
      sh::host::copy_to_content_addressed(test_plugin("good_detector"), cache, &error);
  REQUIRE(first);
  const auto hash = sh::host::sha256_file(test_plugin("good_detector"), &error);
  REQUIRE(hash);
  CHECK(first->filename().string() == *hash + "-libgood_detector.so");
  CHECK(sh_test::read_file(*first) == sh_test::read_file(test_plugin("good_detector")));

  // Same content: same path, no second copy.
  const auto again =
      sh::host::copy_to_content_addressed(test_plugin("good_detector"), cache, &error);
  REQUIRE(again);
  CHECK(*again == *first);
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(cache)) files += e.is_regular_file();
  CHECK(files == 1);

  // "Rebuilt" at the same path: a different name, and both load side by side.
  std::filesystem::copy_file(test_plugin("good_detector"), dir / "libplugin.so");
  const auto v1 = sh::host::copy_to_content_addressed(dir / "libplugin.so", cache, &error);
  std::filesystem::copy_file(test_plugin("good_provider"), dir / "libplugin.so",
                             std::filesystem::copy_options::overwrite_existing);
  const auto v2 = sh::host::copy_to_content_addressed(dir / "libplugin.so", cache, &error);
  REQUIRE(v1);
  REQUIRE(v2);
  CHECK(*v1 != *v2);
  auto a = PluginLibrary::open(*v1);
  auto b = PluginLibrary::open(*v2);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a.library->name() == "good_detector");
  CHECK(b.library->name() == "good_provider");

  // The known SHA-256 of "abc".
  CHECK(sh::host::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE(sh::host::copy_to_content_addressed(dir / "absent.so", cache, &error));
  CHECK_THAT(error, Catch::Contains("absent.so"));
}

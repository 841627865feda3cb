# sh_add_plugin(<name> SOURCES src... [OUTPUT_DIR dir])
#
# Builds a strategy-host plugin: a MODULE library that exports only the entry
# symbol (-fvisibility=hidden), links the SDK, and is named lib<name>.so.
# Used identically in tree and out of tree. A plugin whose sources are all C
# (.c) is built as C99 against abi.h alone (strategy_host::abi); otherwise as
# C++17 with the C++ layer (strategy_host::sdk).
function(sh_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "sh_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set(_c_only ON)
  foreach(_src IN LISTS ARG_SOURCES)
    if(NOT _src MATCHES "\\.c$")
      set(_c_only OFF)
    endif()
  endforeach()
  if(_c_only)
    target_link_libraries(${name} PRIVATE strategy_host::abi)
    set_target_properties(${name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)
  else()
    target_link_libraries(${name} PRIVATE strategy_host::sdk)
    target_compile_features(${name} PRIVATE cxx_std_17)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(NOT CMAKE_SYSTEM_NAME STREQUAL "Darwin")
    # Refuse to build a plugin with unresolved symbols: they would only fail at load.
    target_link_options(${name} PRIVATE "LINKER:--no-undefined")
  endif()
  if(ARG_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR})
  elseif(DEFINED SH_PLUGIN_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${SH_PLUGIN_OUTPUT_DIR})
  endif()
  # The repository's own plugins share one precompiled plugin.hpp
  # (plugins/CMakeLists.txt sets SH_PLUGIN_PCH_TARGET for its directories);
  # out of tree the variable is unset and nothing changes.
  if(SH_PLUGIN_PCH_TARGET)
    target_precompile_headers(${name} REUSE_FROM ${SH_PLUGIN_PCH_TARGET})
  endif()
  # Lets an enclosing build (the host's tests) depend on every plugin.
  set_property(GLOBAL APPEND PROPERTY SH_ALL_PLUGINS ${name})
endfunction()

# sh_add_plugin_test(<name> PLUGIN <plugin target> SOURCES src...)
#
# Builds a test executable from C++ sources that use
# <strategy_host/testing.hpp> (SH_TEST cases; the first source, which must
# include it, also gets the main() that runs them), and
# registers it with CTest as <name> (call enable_testing() in the top-level
# CMakeLists.txt). The test loads the plugin target's library, whose path it
# gets as SH_TEST_PLUGIN; sh::testing::fixture("x.csv") names a file in the
# directory of the calling CMakeLists.txt.
function(sh_add_plugin_test name)
  cmake_parse_arguments(ARG "" "PLUGIN" "SOURCES" ${ARGN})
  if(NOT ARG_PLUGIN OR NOT ARG_SOURCES)
    message(FATAL_ERROR "sh_add_plugin_test(${name}): PLUGIN and SOURCES are required")
  endif()
  if(NOT TARGET ${ARG_PLUGIN})
    message(FATAL_ERROR "sh_add_plugin_test(${name}): no target ${ARG_PLUGIN} (sh_add_plugin it first)")
  endif()
  get_property(_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(NOT "CXX" IN_LIST _languages)
    # The harness is C++, also for a plugin written in C.
    message(FATAL_ERROR "sh_add_plugin_test(${name}): the test is C++: "
            "add CXX to the project's languages, e.g. project(... LANGUAGES C CXX)")
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # main() (it runs every SH_TEST) comes from testing.hpp in the first source.
  list(GET ARG_SOURCES 0 _first)
  set_property(SOURCE ${_first} APPEND PROPERTY COMPILE_DEFINITIONS SH_TESTING_MAIN)
  target_link_libraries(${name} PRIVATE strategy_host::testing)
  target_compile_features(${name} PRIVATE cxx_std_17)
  target_compile_definitions(${name} PRIVATE
    SH_TEST_PLUGIN="$<TARGET_FILE:${ARG_PLUGIN}>"
    SH_TEST_SOURCE_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
  add_dependencies(${name} ${ARG_PLUGIN})
  add_test(NAME ${name} COMMAND ${name})
endfunction()

# sh_add_plugin(<name> SOURCES src... [OUTPUT_DIR dir])
#
# Builds a strategy-host plugin: a MODULE library that exports only the entry
# symbol (-fvisibility=hidden), links the SDK, and is named lib<name>.so.
# Used identically in tree and out of tree.
function(sh_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "sh_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE strategy_host::sdk)
  target_compile_features(${name} PRIVATE cxx_std_17)
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

# `cmake --install build [--prefix P]`: the host as a service (README,
# "Run as a service").
#
#   P/bin/strategy-host, P/bin/sh-plugin-runner   the host (renamed: `host`
#                                                 is bind9's DNS tool) and the
#                                                 runner it finds beside it
#   P/lib/strategy-host/plugins/*.so              every shipped plugin (the
#                                                 host's built-in plugin dir)
#   P/share/strategy-host/{config,scripts/lua,data/sample}
#                                                 example configs, the Lua
#                                                 rules, the sample session
#   P/etc/strategy-host/host.yaml                 the service's config (a copy
#                                                 of config/live-binance.yaml
#                                                 with its paths made absolute;
#                                                 never overwritten)
#   P/lib/systemd/system/strategy-host.service    the unit, with P's paths
#   the SDK (headers, CMake package): sdk/CMakeLists.txt
#
# The paths are written at install time, so `--prefix` at install time wins
# over CMAKE_INSTALL_PREFIX at configure time.
include(GNUInstallDirs)

install(PROGRAMS $<TARGET_FILE:host> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME strategy-host)
install(TARGETS sh-plugin-runner RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
get_property(_sh_install_plugins GLOBAL PROPERTY SH_ALL_PLUGINS)
install(TARGETS ${_sh_install_plugins} LIBRARY DESTINATION lib/strategy-host/plugins)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/ DESTINATION share/strategy-host/config)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/lua DESTINATION share/strategy-host/scripts)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/sample DESTINATION share/strategy-host/data)

install(CODE "
  set(_p \"\${CMAKE_INSTALL_PREFIX}\")
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SYSCONFDIR}\")
    set(SH_ETC_DIR \"${CMAKE_INSTALL_SYSCONFDIR}/strategy-host\")
  else()
    set(SH_ETC_DIR \"\${_p}/${CMAKE_INSTALL_SYSCONFDIR}/strategy-host\")
  endif()
  set(SH_BIN_DIR \"\${_p}/${CMAKE_INSTALL_BINDIR}\")
  set(SH_SHARE_DIR \"\${_p}/share/strategy-host\")
  string(REPLACE \" \" \"%20\" SH_SHARE_URL \"\${SH_SHARE_DIR}\")
  set(SH_STATE_DIR /var/lib/strategy-host)
  configure_file(\"${PROJECT_SOURCE_DIR}/contrib/systemd/strategy-host.service.in\"
                 \"\$ENV{DESTDIR}\${_p}/lib/systemd/system/strategy-host.service\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${_p}/lib/systemd/system/strategy-host.service\")
  set(_cfg \"\$ENV{DESTDIR}\${SH_ETC_DIR}/host.yaml\")
  if(EXISTS \"\${_cfg}\")
    message(STATUS \"Up-to-date: \${_cfg} (kept: an operator's config is never overwritten)\")
  else()
    file(READ \"${PROJECT_SOURCE_DIR}/config/live-binance.yaml\" _y)
    string(REPLACE \"../scripts/lua\" \"\${SH_SHARE_DIR}/scripts/lua\" _y \"\${_y}\")
    string(REPLACE \"../state/live-binance\" \"\${SH_STATE_DIR}/state\" _y \"\${_y}\")
    string(REPLACE \"../out/live-binance\" \"\${SH_STATE_DIR}/out\" _y \"\${_y}\")
    string(REPLACE \"../captures/\" \"\${SH_STATE_DIR}/captures/\" _y \"\${_y}\")
    string(REPLACE \"../config/\" \"\${SH_SHARE_DIR}/config/\" _y \"\${_y}\")
    file(WRITE \"\${_cfg}\" \"# Installed by cmake --install from config/live-binance.yaml, paths made absolute.\\n\${_y}\")
    message(STATUS \"Installing: \${_cfg}\")
  endif()
")

// A self-signed certificate for 127.0.0.1 (also its own CA), made at test
// time with openssl: dir/cert.pem and dir/key.pem, for the tests' local TLS
// servers (exchange feeds, venues, history APIs). No test reaches the
// internet, and no key is committed.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace sh_test {

inline void make_test_certificate(const std::filesystem::path& dir) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout '" +
      (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() +
      "' -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
}

}  // namespace sh_test

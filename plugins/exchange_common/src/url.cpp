// url.cpp: parse_url.
#include "exchange/url.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace exchange {

Url parse_url(const std::string& text) {
  Url u;
  size_t rest = 0;
  if (text.rfind("wss://", 0) == 0 || text.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = text.find("://") + 3;
  } else if (text.rfind("ws://", 0) == 0 || text.rfind("http://", 0) == 0) {
    u.tls = false;
    rest = text.find("://") + 3;
  } else {
    throw std::invalid_argument("unsupported URL scheme: " + text);
  }
  const size_t slash = text.find('/', rest);
  const std::string authority = text.substr(rest, slash == std::string::npos ? std::string::npos : slash - rest);
  u.path = slash == std::string::npos ? "" : text.substr(slash);
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty() || u.port.empty() ||
      !std::all_of(u.port.begin(), u.port.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw std::invalid_argument("malformed URL: " + text);
  return u;
}

}  // namespace exchange

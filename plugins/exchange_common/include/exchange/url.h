// url.h: ws(s):// and http(s):// URLs as the feeds use them.
#ifndef SH_EXCHANGE_URL_H
#define SH_EXCHANGE_URL_H

#include <string>

namespace exchange {

struct Url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;  // "" or "/prefix", never with a trailing '/'
};

// Throws std::invalid_argument naming the URL.
Url parse_url(const std::string& text);

}  // namespace exchange

#endif

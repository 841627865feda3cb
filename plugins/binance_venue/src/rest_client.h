// rest_client.h: the venue's HTTPS client is exchange_common's
// (exchange/rest_client.h), shared with binance_history.
#ifndef SH_BINANCE_VENUE_REST_CLIENT_H
#define SH_BINANCE_VENUE_REST_CLIENT_H

#include "exchange/rest_client.h"

namespace binance_venue {
using exchange::HttpResult;
using exchange::RestClient;
}  // namespace binance_venue

#endif

// UTC timestamps as text: ISO-8601 for outputs, and the parser behind the
// CLI's --from / --to. Pure arithmetic (proleptic Gregorian calendar, no
// leap seconds, no time zone database, no locale), so results never depend
// on the machine's TZ or clock.
#ifndef SH_HOST_STORE_TIME_FORMAT_H
#define SH_HOST_STORE_TIME_FORMAT_H

#include <cstdint>
#include <string>
#include <string_view>

#include "store/status.h"

namespace sh::host {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H.
// Hinnant's days_from_civil / civil_from_days; valid for any int64 year).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t* y, unsigned* m, unsigned* d);

// ts_ns (ns since the Unix epoch, UTC) as "YYYY-MM-DDTHH:MM:SSZ", with a
// fraction ".fffffffff" (9 digits) only when ts_ns is not a whole second.
// Example: 1704153900000000000 -> "2024-01-02T00:05:00Z".
std::string format_iso8601_utc(int64_t ts_ns);

// Parses a point in time into ns since the epoch. Accepted forms:
//   "1704153900000000000"          integer nanoseconds (optional leading '-')
//   "2024-01-02"                   a date: midnight UTC
//   "2024-01-02T00:05Z"            date and time, seconds optional,
//   "2024-01-02T00:05:00Z"         'T' or one space between them,
//   "2024-01-02T00:05:00.25Z"      fraction up to 9 digits,
//   "2024-01-02T02:05:00+02:00"    zone 'Z' or an offset +HH:MM / +HHMM.
// A date-time without a zone is rejected (it would mean local time).
// On error *ts_ns is untouched and the message quotes the input.
Status parse_time_ns(std::string_view text, int64_t* ts_ns);

}  // namespace sh::host

#endif  // SH_HOST_STORE_TIME_FORMAT_H

/* capture_format.h: the strategy host's event capture file (.shcap), version 1.
 *
 * A capture is a session's market events exactly as the host's ingress
 * delivered them to the pipeline (several providers merged as the run merges
 * them), with the receive clock's ticks between them when the providers are
 * clock sources (a live session recorded by `binance` or `coinbase`): written
 * by `host capture convert` and replayed by the `capture` provider, which
 * reads the file in batches and emits its records without parsing. A replay
 * of a capture and of the sources it was converted from, in the same mode,
 * give the same digest.
 *
 * Layout (little-endian, as the x86-64 and aarch64 hosts write it):
 *
 *   sh_capture_header            64 bytes at offset 0
 *   sh_capture_record[count]     from header.events_offset, record_size each,
 *                                in the order the ingress delivered them:
 *                                events, and clock ticks (type
 *                                SH_CAPTURE_CLOCK_TICK: the receive clock the
 *                                ingress passed on after the events before it)
 *   symbol table                 at header.symbols_offset: symbol_count
 *                                entries of { uint16_t length; char name[length]; }
 *                                (no terminator); record.symbol indexes it
 *
 * The header is written last: a conversion that stopped part-way leaves
 * flags without SH_CAPTURE_COMPLETE, and the provider refuses the file. Readers check the
 * magic, version, record size and that the offsets and counts fit the file
 * size, and refuse anything else naming the file and the field.
 *
 * Plain C, header-only: a quant can write captures from their own tools.
 */
#ifndef STRATEGY_HOST_CAPTURE_FORMAT_H
#define STRATEGY_HOST_CAPTURE_FORMAT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SH_CAPTURE_MAGIC "SHCAPTUR" /* 8 bytes, no terminator in the file */
#define SH_CAPTURE_VERSION 1u

/* sh_capture_header.flags */
#define SH_CAPTURE_COMPLETE 0x1u /* the writer finished */
#define SH_CAPTURE_CLOCK 0x2u    /* clock ticks present: a receive-clock source */

/* sh_capture_record.type of a clock tick (ts_ns = the receive clock, ns;
 * the other fields 0); events use SH_EVENT_*. */
#define SH_CAPTURE_CLOCK_TICK 0xFFFFu

typedef struct sh_capture_header {
  char magic[8];           /* SH_CAPTURE_MAGIC */
  uint32_t version;        /* SH_CAPTURE_VERSION */
  uint32_t record_size;    /* sizeof(sh_capture_record) = 72 */
  uint64_t record_count;   /* events and clock ticks */
  uint64_t events_offset;  /* 64 */
  uint64_t symbols_offset; /* events_offset + record_count * record_size */
  uint32_t symbol_count;
  uint32_t flags;          /* SH_CAPTURE_*; without COMPLETE the file is refused */
  int64_t first_ts_ns;     /* first and last event's ts_ns (0 when none) */
  int64_t last_ts_ns;
} sh_capture_header;

/* One market event (sh_market_event without struct_size; type and flags
 * narrowed). data holds the first 48 bytes of sh_market_event.data, the
 * largest payload (sh_bar) included. */
typedef struct sh_capture_record {
  int64_t ts_ns;
  int64_t recv_ts_ns;
  uint32_t symbol; /* index into the symbol table (0 for a clock tick) */
  uint16_t type;   /* SH_EVENT_*, or SH_CAPTURE_CLOCK_TICK */
  uint16_t flags;  /* SH_EVENT_FLAG_* */
  unsigned char data[48];
} sh_capture_record;

#ifdef __cplusplus
static_assert(sizeof(sh_capture_header) == 64, "sh_capture_header is 64 bytes");
static_assert(sizeof(sh_capture_record) == 72, "sh_capture_record is 72 bytes");
}
#endif

#endif /* STRATEGY_HOST_CAPTURE_FORMAT_H */

// CRC-32C with the CPU's own instruction (SSE 4.2 `crc32` on x86-64, the CRC extension on
// AArch64), for PaxosCore's CRC32C. Swift has no portable way to name these instructions, so
// this small C target does; the table-driven code in Swift stays the fallback and the reference
// the tests compare against.
#ifndef PAXOS_CCRC32C_H
#define PAXOS_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the instruction `paxos_crc32c_hardware_update` uses, else 0.
int paxos_crc32c_hardware_available(void);

/// Feeds `count` bytes at `bytes` into the running register `crc` (not inverted: the caller
/// starts at all ones and inverts at the end) and returns the new register. Call only when
/// `paxos_crc32c_hardware_available()` returned 1; otherwise it returns `crc` unchanged.
uint32_t paxos_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count);

#endif

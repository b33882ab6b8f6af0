// See include/CCRC32C.h. The functions carry their instruction set as a target attribute rather
// than the whole target a compiler flag, so the rest of the binary runs on any CPU and the
// caller checks `paxos_crc32c_hardware_available` once.
#include "CCRC32C.h"

#include <string.h>

#if defined(__x86_64__)

#include <cpuid.h>
#include <nmmintrin.h>

int paxos_crc32c_hardware_available(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t paxos_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *cursor = bytes;
    uint64_t wide = crc;
    // Eight bytes per instruction; memcpy is the portable unaligned load and compiles to one mov.
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, cursor, sizeof word);
        wide = _mm_crc32_u64(wide, word);
        cursor += 8;
        count -= 8;
    }
    uint32_t narrow = (uint32_t)wide;
    while (count > 0) {
        narrow = _mm_crc32_u8(narrow, *cursor);
        cursor += 1;
        count -= 1;
    }
    return narrow;
}

#elif defined(__aarch64__) && defined(__linux__)

#include <arm_acle.h>
#include <sys/auxv.h>

#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif

int paxos_crc32c_hardware_available(void) {
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}

__attribute__((target("crc")))
uint32_t paxos_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *cursor = bytes;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, cursor, sizeof word);
        crc = __crc32cd(crc, word);
        cursor += 8;
        count -= 8;
    }
    while (count > 0) {
        crc = __crc32cb(crc, *cursor);
        cursor += 1;
        count -= 1;
    }
    return crc;
}

#else

int paxos_crc32c_hardware_available(void) { return 0; }

uint32_t paxos_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;
}

#endif

/*
 * CRC32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF.
 *
 * Two implementations:
 *  - slicing-by-8 tables, for any CPU;
 *  - the SSE4.2 crc32 instruction on three interleaved streams (the instruction has a latency of three
 *    cycles and a throughput of one, so three independent streams keep it busy), joined with
 *    "append n zero bytes" operators precomputed as four 256-entry tables each.
 * Internally "raw" registers are used (no pre/post inversion); the public functions invert.
 */
#include "CKafkaCodecs.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define KC_X86 1
#include <nmmintrin.h>
#endif

#define POLY 0x82F63B78u

/* table[k][n]: raw CRC register after byte n followed by k zero bytes, from a zero register. */
static uint32_t table[8][256];

#define LONG_BLOCK 8192
#define SHORT_BLOCK 256
/* shift tables: apply the operator "append LONG_BLOCK (SHORT_BLOCK) zero bytes" to a register. */
static uint32_t zeros_long[4][256];
static uint32_t zeros_short[4][256];

static int hardware_ok;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* GF(2) 32x32 matrices as 32 columns: mat[i] is the image of the register with only bit i set. */
static uint32_t gf2_apply(const uint32_t *mat, uint32_t vec) {
    uint32_t sum = 0;
    for (int i = 0; vec; i++, vec >>= 1) {
        if (vec & 1) sum ^= mat[i];
    }
    return sum;
}

/* result = a ∘ b (apply b, then a). result may not alias a or b. */
static void gf2_compose(uint32_t *result, const uint32_t *a, const uint32_t *b) {
    for (int i = 0; i < 32; i++) result[i] = gf2_apply(a, b[i]);
}

/* op = operator that appends `bytes` zero bytes to the message (bytes > 0). */
static void zeros_operator(uint32_t *op, size_t bytes) {
    uint32_t bit[32], base[32], tmp[32];
    /* one zero bit: shift right, xor POLY when the bit shifted out was set */
    bit[0] = POLY;
    for (int i = 1; i < 32; i++) bit[i] = 1u << (i - 1);
    /* one zero byte = eight zero bits */
    memcpy(base, bit, sizeof base);
    for (int s = 0; s < 3; s++) {
        gf2_compose(tmp, base, base);
        memcpy(base, tmp, sizeof base);
    }
    /* op = base^bytes by square-and-multiply; all powers of one operator commute */
    int have = 0;
    while (bytes) {
        if (bytes & 1) {
            if (have) {
                gf2_compose(tmp, base, op);
                memcpy(op, tmp, sizeof tmp);
            } else {
                memcpy(op, base, sizeof base);
                have = 1;
            }
        }
        bytes >>= 1;
        if (bytes) {
            gf2_compose(tmp, base, base);
            memcpy(base, tmp, sizeof base);
        }
    }
}

static void zeros_tables(uint32_t zeros[4][256], size_t bytes) {
    uint32_t op[32];
    zeros_operator(op, bytes);
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = gf2_apply(op, n);
        zeros[1][n] = gf2_apply(op, n << 8);
        zeros[2][n] = gf2_apply(op, n << 16);
        zeros[3][n] = gf2_apply(op, n << 24);
    }
}

static inline uint32_t shift(uint32_t zeros[4][256], uint32_t crc) {
    return zeros[0][crc & 0xFF] ^ zeros[1][(crc >> 8) & 0xFF] ^ zeros[2][(crc >> 16) & 0xFF] ^ zeros[3][crc >> 24];
}

static void init_tables(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = n;
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ POLY : crc >> 1;
        table[0][n] = crc;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t crc = table[0][n];
        for (int k = 1; k < 8; k++) {
            crc = table[0][crc & 0xFF] ^ (crc >> 8);
            table[k][n] = crc;
        }
    }
    zeros_tables(zeros_long, LONG_BLOCK);
    zeros_tables(zeros_short, SHORT_BLOCK);
#if KC_X86
    __builtin_cpu_init();
    hardware_ok = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
    hardware_ok = 0;
#endif
}

static inline void ensure_init(void) { pthread_once(&init_once, init_tables); }

static inline uint64_t load64(const unsigned char *p) {
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

static uint32_t table_raw(uint32_t crc, const unsigned char *p, size_t len) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (len && ((uintptr_t)p & 7)) {
        crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t w = load64(p) ^ crc;
        crc = table[7][w & 0xFF] ^ table[6][(w >> 8) & 0xFF] ^ table[5][(w >> 16) & 0xFF] ^
              table[4][(w >> 24) & 0xFF] ^ table[3][(w >> 32) & 0xFF] ^ table[2][(w >> 40) & 0xFF] ^
              table[1][(w >> 48) & 0xFF] ^ table[0][w >> 56];
        p += 8;
        len -= 8;
    }
#endif
    while (len) {
        crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        len--;
    }
    return crc;
}

#if KC_X86
__attribute__((target("sse4.2")))
static uint32_t hardware_raw(uint32_t crc, const unsigned char *p, size_t len) {
    while (len && ((uintptr_t)p & 7)) {
        crc = _mm_crc32_u8(crc, *p++);
        len--;
    }
#if defined(__x86_64__)
    uint64_t c0 = crc;
    while (len >= 3 * LONG_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        const unsigned char *end = p + LONG_BLOCK;
        do {
            c0 = _mm_crc32_u64(c0, load64(p));
            c1 = _mm_crc32_u64(c1, load64(p + LONG_BLOCK));
            c2 = _mm_crc32_u64(c2, load64(p + 2 * LONG_BLOCK));
            p += 8;
        } while (p < end);
        c0 = shift(zeros_long, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = shift(zeros_long, (uint32_t)c0) ^ (uint32_t)c2;
        p += 2 * LONG_BLOCK;
        len -= 3 * LONG_BLOCK;
    }
    while (len >= 3 * SHORT_BLOCK) {
        uint64_t c1 = 0, c2 = 0;
        const unsigned char *end = p + SHORT_BLOCK;
        do {
            c0 = _mm_crc32_u64(c0, load64(p));
            c1 = _mm_crc32_u64(c1, load64(p + SHORT_BLOCK));
            c2 = _mm_crc32_u64(c2, load64(p + 2 * SHORT_BLOCK));
            p += 8;
        } while (p < end);
        c0 = shift(zeros_short, (uint32_t)c0) ^ (uint32_t)c1;
        c0 = shift(zeros_short, (uint32_t)c0) ^ (uint32_t)c2;
        p += 2 * SHORT_BLOCK;
        len -= 3 * SHORT_BLOCK;
    }
    while (len >= 8) {
        c0 = _mm_crc32_u64(c0, load64(p));
        p += 8;
        len -= 8;
    }
    crc = (uint32_t)c0;
#else
    while (len >= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        crc = _mm_crc32_u32(crc, w);
        p += 4;
        len -= 4;
    }
#endif
    while (len) {
        crc = _mm_crc32_u8(crc, *p++);
        len--;
    }
    return crc;
}
#endif

uint32_t kc_crc32c_table(uint32_t crc, const void *data, size_t length) {
    ensure_init();
    return ~table_raw(~crc, (const unsigned char *)data, length);
}

uint32_t kc_crc32c_hardware(uint32_t crc, const void *data, size_t length) {
    ensure_init();
#if KC_X86
    if (hardware_ok) return ~hardware_raw(~crc, (const unsigned char *)data, length);
#endif
    return ~table_raw(~crc, (const unsigned char *)data, length);
}

uint32_t kc_crc32c(uint32_t crc, const void *data, size_t length) {
    return kc_crc32c_hardware(crc, data, length);
}

int kc_crc32c_hardware_available(void) {
    ensure_init();
    return hardware_ok;
}

/*
 * LZ4 frame format (lz4_Frame_format.md) one-shot wrappers over liblz4's LZ4F_* API.
 * Frames are written with 64 KiB independent blocks and no checksums: Kafka's Java reader
 * (Lz4BlockInputStream) rejects dependent blocks, and this matches what it writes itself.
 */
#include "CKafkaCodecs.h"

#include <lz4frame.h>
#include <string.h>

static void prefs_for(LZ4F_preferences_t *prefs, size_t src_len, int level, int include_content_size) {
    memset(prefs, 0, sizeof *prefs);
    prefs->frameInfo.blockSizeID = LZ4F_max64KB;
    prefs->frameInfo.blockMode = LZ4F_blockIndependent;
    prefs->frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs->frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
    prefs->frameInfo.frameType = LZ4F_frame;
    prefs->frameInfo.contentSize = include_content_size ? (unsigned long long)src_len : 0;
    prefs->compressionLevel = level;
}

size_t kc_lz4_compress_bound(size_t src_len, int include_content_size) {
    LZ4F_preferences_t prefs;
    prefs_for(&prefs, src_len, 0, include_content_size);
    return LZ4F_compressFrameBound(src_len, &prefs);
}

int kc_lz4_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len,
                    int level, int include_content_size) {
    if (level == KC_LEVEL_DEFAULT) level = 0;
    if (level < 0 || level > LZ4F_compressionLevel_max()) return KC_INVALID_ARGUMENT;
    LZ4F_preferences_t prefs;
    prefs_for(&prefs, src_len, level, include_content_size);
    if (dst_cap < LZ4F_compressFrameBound(src_len, &prefs)) return KC_FULL;
    size_t r = LZ4F_compressFrame(dst, dst_cap, src, src_len, &prefs);
    if (LZ4F_isError(r)) return KC_INVALID_ARGUMENT;
    *dst_len = r;
    return KC_OK;
}

int kc_lz4_decompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len) {
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) return KC_NOMEM;
    const char *in = src;
    char *out = dst;
    size_t in_left = src_len, out_left = dst_cap;
    int status = KC_OK;
    size_t hint = 1;
    while (in_left > 0 || hint != 0) {
        size_t s = in_left, d = out_left;
        hint = LZ4F_decompress(dctx, out, &d, in, &s, NULL);
        if (LZ4F_isError(hint)) { status = KC_CORRUPT; break; }
        in += s; in_left -= s;
        out += d; out_left -= d;
        if (s == 0 && d == 0 && hint != 0) {
            status = out_left == 0 ? KC_FULL : KC_TRUNCATED;
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    if (status == KC_OK) *dst_len = dst_cap - out_left;
    return status;
}

int kc_lz4_declared_size(const void *src, size_t src_len, uint64_t *size) {
    const unsigned char *p = src;
    /* magic (LE 0x184D2204), FLG, BD, [content size, 8 bytes LE], HC */
    if (src_len < 6 || p[0] != 0x04 || p[1] != 0x22 || p[2] != 0x4D || p[3] != 0x18) return 0;
    if (!(p[4] & 0x08)) return 0;
    if (src_len < 14) return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[6 + i];
    *size = v;
    return 1;
}

unsigned kc_lz4_version(void) { return (unsigned)LZ4F_getVersion(); }

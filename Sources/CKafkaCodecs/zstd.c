/*
 * zstd one-shot wrappers. Compression goes through ZSTD_compressStream2(ZSTD_e_end) so the frame
 * records its content size; decoding of frames without one is the streaming decoder's job (decoder.c).
 */
#include "CKafkaCodecs.h"

#include <zstd.h>
#include <zstd_errors.h>

size_t kc_zstd_compress_bound(size_t src_len) { return ZSTD_compressBound(src_len); }

int kc_zstd_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len, int level,
                     int include_content_size) {
    if (level == KC_LEVEL_DEFAULT) level = ZSTD_CLEVEL_DEFAULT;
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) return KC_INVALID_ARGUMENT;
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    if (!cctx) return KC_NOMEM;
    int status = KC_OK;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, include_content_size ? 1 : 0))) {
        ZSTD_freeCCtx(cctx);
        return KC_INVALID_ARGUMENT;
    }
    ZSTD_inBuffer in = {src, src_len, 0};
    ZSTD_outBuffer out = {dst, dst_cap, 0};
    for (;;) {
        size_t r = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(r)) {
            status = ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ? KC_FULL : KC_INVALID_ARGUMENT;
            break;
        }
        if (r == 0) break;
        if (out.pos == out.size) { status = KC_FULL; break; }
    }
    ZSTD_freeCCtx(cctx);
    if (status == KC_OK) *dst_len = out.pos;
    return status;
}

int kc_zstd_decompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len) {
    size_t r = ZSTD_decompress(dst, dst_cap, src, src_len);
    if (ZSTD_isError(r)) {
        switch (ZSTD_getErrorCode(r)) {
            case ZSTD_error_dstSize_tooSmall: return KC_FULL;
            case ZSTD_error_srcSize_wrong: return KC_TRUNCATED;
            case ZSTD_error_memory_allocation: return KC_NOMEM;
            default: return KC_CORRUPT;
        }
    }
    *dst_len = r;
    return KC_OK;
}

int kc_zstd_declared_size(const void *src, size_t src_len, uint64_t *size) {
    /* Sum over the leading frames that declare a content size: a lower bound on the output,
     * exact when every frame declares one. Only the stable API is used (no ZSTD_STATIC_LINKING_ONLY). */
    const unsigned char *p = src;
    uint64_t total = 0;
    int known = 0;
    while (src_len > 0) {
        unsigned long long content = ZSTD_getFrameContentSize(p, src_len);
        if (content == ZSTD_CONTENTSIZE_UNKNOWN || content == ZSTD_CONTENTSIZE_ERROR) break;
        size_t frame = ZSTD_findFrameCompressedSize(p, src_len);
        if (ZSTD_isError(frame) || frame == 0 || frame > src_len) break;
        total = (content > UINT64_MAX - total) ? UINT64_MAX : total + content;
        known = 1;
        p += frame;
        src_len -= frame;
    }
    if (known) *size = total;
    return known;
}

unsigned kc_zstd_version(void) { return ZSTD_versionNumber(); }

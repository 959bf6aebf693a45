/*
 * Streaming decoders for bounded decompression. The caller owns the output memory and decides how far
 * it may grow; these functions only report KC_FULL when it is full, so nothing here allocates in
 * proportion to what the input claims. Library-internal state is bounded by the format:
 * zlib 32 KiB window; LZ4F at most two 4 MiB block buffers; zstd a window capped by windowLogMax.
 */
#include "CKafkaCodecs.h"

#include <limits.h>
#include <lz4frame.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

struct kc_decoder {
    int codec;
    /* 1 between streams: the previous gzip member / lz4 frame / zstd frame ended (or none began). */
    int at_boundary;
    /* 1 once any stream has ended; empty input is truncated, not an empty result. */
    int any_ended;
    const char *message;
    z_stream z;
    LZ4F_dctx *lz4;
    ZSTD_DStream *zstd;
};

static unsigned window_log_for(size_t limit) {
    unsigned log = 10;
    while (log < 27 && ((size_t)1 << log) < limit) log++;
    return log;
}

kc_decoder *kc_decoder_create(int codec, size_t output_limit) {
    kc_decoder *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->codec = codec;
    d->message = "";
    switch (codec) {
        case KC_CODEC_GZIP:
            if (inflateInit2(&d->z, 15 + 16) != Z_OK) goto fail;
            return d;
        case KC_CODEC_LZ4:
            if (LZ4F_isError(LZ4F_createDecompressionContext(&d->lz4, LZ4F_VERSION))) goto fail;
            return d;
        case KC_CODEC_ZSTD:
            d->zstd = ZSTD_createDStream();
            if (!d->zstd) goto fail;
            if (ZSTD_isError(ZSTD_DCtx_setParameter(d->zstd, ZSTD_d_windowLogMax, (int)window_log_for(output_limit)))) {
                ZSTD_freeDStream(d->zstd);
                goto fail;
            }
            return d;
        default:
            break;
    }
fail:
    free(d);
    return NULL;
}

void kc_decoder_destroy(kc_decoder *d) {
    if (!d) return;
    switch (d->codec) {
        case KC_CODEC_GZIP: inflateEnd(&d->z); break;
        case KC_CODEC_LZ4: LZ4F_freeDecompressionContext(d->lz4); break;
        case KC_CODEC_ZSTD: ZSTD_freeDStream(d->zstd); break;
    }
    free(d);
}

const char *kc_decoder_message(const kc_decoder *d) { return d && d->message ? d->message : ""; }

static uInt clamp_uint(size_t n) { return n > (size_t)UINT_MAX ? UINT_MAX : (uInt)n; }

static int run_gzip(kc_decoder *d, const unsigned char *in, size_t in_len, size_t *in_pos,
                    unsigned char *out, size_t out_cap, size_t *out_pos) {
    for (;;) {
        size_t in_left = in_len - *in_pos, out_left = out_cap - *out_pos;
        if (d->at_boundary) {
            if (in_left == 0) return KC_OK;
            inflateReset(&d->z);
            d->at_boundary = 0;
        }
        if (out_left == 0) return KC_FULL;
        d->z.next_in = (Bytef *)(in + *in_pos);
        d->z.avail_in = clamp_uint(in_left);
        d->z.next_out = out + *out_pos;
        d->z.avail_out = clamp_uint(out_left);
        uInt given_in = d->z.avail_in, given_out = d->z.avail_out;
        int r = inflate(&d->z, Z_NO_FLUSH);
        size_t used = given_in - d->z.avail_in, made = given_out - d->z.avail_out;
        *in_pos += used;
        *out_pos += made;
        switch (r) {
            case Z_STREAM_END:
                d->at_boundary = 1;
                d->any_ended = 1;
                continue;
            case Z_OK:
                continue;
            case Z_BUF_ERROR:
                if (used || made) continue;
                if (*in_pos == in_len) return KC_TRUNCATED;
                if (*out_pos == out_cap) return KC_FULL;
                d->message = "zlib made no progress";
                return KC_CORRUPT;
            case Z_MEM_ERROR:
                d->message = "zlib: out of memory";
                return KC_NOMEM;
            default:
                d->message = d->z.msg ? d->z.msg : "invalid gzip data";
                return KC_CORRUPT;
        }
    }
}

static int run_lz4(kc_decoder *d, const unsigned char *in, size_t in_len, size_t *in_pos,
                   unsigned char *out, size_t out_cap, size_t *out_pos) {
    for (;;) {
        size_t src = in_len - *in_pos, dst = out_cap - *out_pos;
        if (src == 0 && d->at_boundary && d->any_ended) return KC_OK;
        if (dst == 0) return KC_FULL;
        size_t hint = LZ4F_decompress(d->lz4, out + *out_pos, &dst, in + *in_pos, &src, NULL);
        if (LZ4F_isError(hint)) {
            d->message = LZ4F_getErrorName(hint);
            return KC_CORRUPT;
        }
        *in_pos += src;
        *out_pos += dst;
        if (hint == 0) {
            d->at_boundary = 1;
            d->any_ended = 1;
        } else {
            d->at_boundary = 0;
        }
        if (src == 0 && dst == 0 && hint != 0) {
            if (*in_pos == in_len) return KC_TRUNCATED;
            d->message = "lz4 made no progress";
            return KC_CORRUPT;
        }
    }
}

static int run_zstd(kc_decoder *d, const unsigned char *in, size_t in_len, size_t *in_pos,
                    unsigned char *out, size_t out_cap, size_t *out_pos) {
    for (;;) {
        if (*in_pos == in_len && d->at_boundary && d->any_ended) return KC_OK;
        if (*out_pos == out_cap) return KC_FULL;
        ZSTD_inBuffer ib = {in, in_len, *in_pos};
        ZSTD_outBuffer ob = {out, out_cap, *out_pos};
        size_t r = ZSTD_decompressStream(d->zstd, &ob, &ib);
        if (ZSTD_isError(r)) {
            d->message = ZSTD_getErrorName(r);
            switch (ZSTD_getErrorCode(r)) {
                case ZSTD_error_frameParameter_windowTooLarge: return KC_WINDOW_TOO_LARGE;
                case ZSTD_error_memory_allocation: return KC_NOMEM;
                default: return KC_CORRUPT;
            }
        }
        int progress = ib.pos != *in_pos || ob.pos != *out_pos;
        *in_pos = ib.pos;
        *out_pos = ob.pos;
        if (r == 0) {
            d->at_boundary = 1;
            d->any_ended = 1;
        } else {
            d->at_boundary = 0;
        }
        if (!progress && r != 0) {
            if (*in_pos == in_len) return KC_TRUNCATED;
            d->message = "zstd made no progress";
            return KC_CORRUPT;
        }
    }
}

int kc_decoder_run(kc_decoder *d, const void *in, size_t in_len, size_t *in_pos,
                   void *out, size_t out_cap, size_t *out_pos) {
    if (!d || *in_pos > in_len || *out_pos > out_cap) return KC_INVALID_ARGUMENT;
    switch (d->codec) {
        case KC_CODEC_GZIP: return run_gzip(d, in, in_len, in_pos, out, out_cap, out_pos);
        case KC_CODEC_LZ4: return run_lz4(d, in, in_len, in_pos, out, out_cap, out_pos);
        case KC_CODEC_ZSTD: return run_zstd(d, in, in_len, in_pos, out, out_cap, out_pos);
        default: return KC_INVALID_ARGUMENT;
    }
}

/*
 * gzip (RFC 1952) one-shot wrappers over zlib: deflate with windowBits 15+16 (gzip wrapper, as Kafka's
 * Java client and librdkafka write), inflate with 15+16 (gzip only; concatenated members accepted).
 */
#include "CKafkaCodecs.h"

#include <limits.h>
#include <zlib.h>

/* zlib counts in uInt; feed it at most this much per call. */
#define CHUNK_MAX ((size_t)UINT_MAX)

static uInt clamp_uint(size_t n) { return n > CHUNK_MAX ? (uInt)CHUNK_MAX : (uInt)n; }

size_t kc_gzip_compress_bound(size_t src_len) {
    /* compressBound covers the zlib wrapper (6 bytes); gzip's is 18. Add the difference and slack
     * for the 4 GiB chunking (one extra stored-block header per chunk). */
    uLong bound = compressBound((uLong)src_len);
    return (size_t)bound + 18 + 16 * (src_len / CHUNK_MAX + 1);
}

int kc_gzip_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len, int level) {
    if (level == KC_LEVEL_DEFAULT) level = Z_DEFAULT_COMPRESSION;
    if (level != Z_DEFAULT_COMPRESSION && (level < 0 || level > 9)) return KC_INVALID_ARGUMENT;
    z_stream z = {0};
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return KC_NOMEM;
    const unsigned char *in = src;
    unsigned char *out = dst;
    size_t in_left = src_len, out_left = dst_cap;
    int r;
    do {
        z.next_in = (Bytef *)in;
        z.avail_in = clamp_uint(in_left);
        z.next_out = out;
        z.avail_out = clamp_uint(out_left);
        uInt given_in = z.avail_in, given_out = z.avail_out;
        int flush = (given_in == in_left) ? Z_FINISH : Z_NO_FLUSH;
        r = deflate(&z, flush);
        in += given_in - z.avail_in;
        in_left -= given_in - z.avail_in;
        out += given_out - z.avail_out;
        out_left -= given_out - z.avail_out;
        if (r == Z_STREAM_ERROR) {
            deflateEnd(&z);
            return KC_INVALID_ARGUMENT;
        }
        if (r == Z_BUF_ERROR || (r == Z_OK && out_left == 0)) {
            deflateEnd(&z);
            return KC_FULL;
        }
    } while (r != Z_STREAM_END);
    deflateEnd(&z);
    *dst_len = dst_cap - out_left;
    return KC_OK;
}

int kc_gzip_decompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len) {
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return KC_NOMEM;
    const unsigned char *in = src;
    unsigned char *out = dst;
    size_t in_left = src_len, out_left = dst_cap;
    for (;;) {
        z.next_in = (Bytef *)in;
        z.avail_in = clamp_uint(in_left);
        z.next_out = out;
        z.avail_out = clamp_uint(out_left);
        uInt given_in = z.avail_in, given_out = z.avail_out;
        int r = inflate(&z, Z_NO_FLUSH);
        size_t used = given_in - z.avail_in, made = given_out - z.avail_out;
        in += used;
        in_left -= used;
        out += made;
        out_left -= made;
        if (r == Z_STREAM_END) {
            if (in_left == 0) break;
            inflateReset(&z);
            continue;
        }
        if (r == Z_OK) continue;
        int status = KC_CORRUPT;
        if (r == Z_MEM_ERROR) status = KC_NOMEM;
        else if (r == Z_BUF_ERROR) status = out_left == 0 ? KC_FULL : (in_left == 0 ? KC_TRUNCATED : KC_CORRUPT);
        inflateEnd(&z);
        return status;
    }
    inflateEnd(&z);
    *dst_len = dst_cap - out_left;
    return KC_OK;
}

const char *kc_zlib_version(void) { return zlibVersion(); }

uint32_t kc_crc32_ieee(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    uLong c = crc;
    while (length > 0) {
        uInt chunk = length > UINT_MAX ? UINT_MAX : (uInt)length;
        c = crc32(c, p, chunk);
        p += chunk;
        length -= chunk;
    }
    return (uint32_t)c;
}

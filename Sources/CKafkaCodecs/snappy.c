/*
 * Raw snappy blocks (format_description.txt: varint uncompressed length, then tagged elements),
 * passed straight through to snappy-c. Framing (xerial) is done in Swift.
 */
#include "CKafkaCodecs.h"

#include <snappy-c.h>

static int status_of(snappy_status s) {
    switch (s) {
        case SNAPPY_OK: return KC_OK;
        case SNAPPY_BUFFER_TOO_SMALL: return KC_FULL;
        default: return KC_CORRUPT;
    }
}

size_t kc_snappy_max_compressed_length(size_t src_len) { return snappy_max_compressed_length(src_len); }

int kc_snappy_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len) {
    size_t len = dst_cap;
    int s = status_of(snappy_compress(src, src_len, dst, &len));
    if (s == KC_OK) *dst_len = len;
    return s;
}

int kc_snappy_uncompressed_length(const void *src, size_t src_len, size_t *length) {
    return status_of(snappy_uncompressed_length(src, src_len, length));
}

int kc_snappy_uncompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len) {
    size_t declared;
    if (snappy_uncompressed_length(src, src_len, &declared) != SNAPPY_OK) return KC_CORRUPT;
    if (declared > dst_cap) return KC_FULL;
    size_t len = dst_cap;
    int s = status_of(snappy_uncompress(src, src_len, dst, &len));
    if (s == KC_OK) *dst_len = len;
    return s;
}

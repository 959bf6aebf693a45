/*
 * CKafkaCodecs: CRC32C and thin wrappers over the system compression libraries
 * (zlib, liblz4 frame API, libzstd, snappy-c) for Kafka record batches.
 *
 * This header deliberately includes no library header, so Swift sees only the kc_* API below.
 * Codec numbers match the Kafka batch attributes bits 0-2: gzip=1, snappy=2, lz4=3, zstd=4.
 */
#ifndef CKAFKACODECS_H
#define CKAFKACODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes returned by every function below that returns int ---- */

/** Success; for a decoder: every stream in the input has ended and the input is used up. */
#define KC_OK 0
/** The output buffer is full and more output may follow (one-shot: the buffer was too small). */
#define KC_FULL 1
/** The input ended inside a compressed stream. */
#define KC_TRUNCATED 2
/** The input is not valid for the codec (see kc_decoder_message for the library's words). */
#define KC_CORRUPT 3
/** An allocation inside the library failed. */
#define KC_NOMEM 4
/** zstd: the frame needs a window larger than the caller's limit allows. */
#define KC_WINDOW_TOO_LARGE 5
/** Bad argument (unknown codec, level out of range, size overflow). */
#define KC_INVALID_ARGUMENT 6

#define KC_CODEC_GZIP 1
#define KC_CODEC_SNAPPY 2
#define KC_CODEC_LZ4 3
#define KC_CODEC_ZSTD 4

/* ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ----
 * All three take the previous result (0 to start) and return the CRC of everything so far,
 * so kc_crc32c(kc_crc32c(0, a, n), b, m) == CRC of a||b. kc_crc32c(0, "123456789", 9) == 0xE3069283.
 */

/** Dispatching: SSE4.2 when the CPU has it, else the table. */
uint32_t kc_crc32c(uint32_t crc, const void *data, size_t length);
/** Slicing-by-8 table implementation (any CPU). */
uint32_t kc_crc32c_table(uint32_t crc, const void *data, size_t length);

/* CRC-32 (IEEE 802.3, zlib's), the checksum of legacy magic 0/1 messages. Chains like kc_crc32c. */
uint32_t kc_crc32_ieee(uint32_t crc, const void *data, size_t length);
/** SSE4.2 crc32 instruction, three interleaved streams. Falls back to the table when
 *  kc_crc32c_hardware_available() is 0 (non-x86 builds, or CPUs without SSE4.2). */
uint32_t kc_crc32c_hardware(uint32_t crc, const void *data, size_t length);
/** 1 when kc_crc32c_hardware really uses the crc32 instruction. */
int kc_crc32c_hardware_available(void);

/* ---- one-shot compression into a caller buffer ----
 * dst_len: out, bytes written. Returns KC_OK, KC_FULL (dst too small), or an error.
 * level: codec-specific; pass KC_LEVEL_DEFAULT for the library default.
 */
#define KC_LEVEL_DEFAULT (-1000)

/** Upper bound of gzip output for src_len input bytes (deflateBound plus the gzip wrapper). */
size_t kc_gzip_compress_bound(size_t src_len);
/** One gzip member (deflate, windowBits 15+16, memLevel 8). level 0-9, default 6. */
int kc_gzip_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len, int level);
/** One-shot gzip inflate into a fixed buffer (concatenated members accepted). KC_FULL if dst is too small. */
int kc_gzip_decompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len);

/** Upper bound of one LZ4 frame for src_len bytes with these options. */
size_t kc_lz4_compress_bound(size_t src_len, int include_content_size);
/** One LZ4 frame: 64 KiB independent blocks, no checksums (what Kafka's Java reader requires:
 *  block independence), optional 8-byte content size. level 0 (fast, default) to 12 (HC). */
int kc_lz4_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len,
                    int level, int include_content_size);
/** One-shot LZ4 frame decompression into a fixed buffer. */
int kc_lz4_decompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len);
/** Reads the content size from an LZ4 frame header. Returns 1 and sets *size when the header
 *  declares one; 0 when it does not, or the input is too short or not an LZ4 frame (the decoder
 *  reports those). */
int kc_lz4_declared_size(const void *src, size_t src_len, uint64_t *size);

/** ZSTD_compressBound. */
size_t kc_zstd_compress_bound(size_t src_len);
/** One zstd frame via ZSTD_compressStream2(ZSTD_e_end). level default 3. include_content_size 0 makes a frame
 *  without the content size field, like Java's ZstdOutputStream writes. */
int kc_zstd_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len, int level,
                     int include_content_size);
/** ZSTD_decompress into a fixed buffer. */
int kc_zstd_decompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len);
/** Sum of the declared content sizes of the leading frames that declare one: a lower bound on the
 *  output, exact when every frame declares its size. Returns 1 and sets *size when some frame does, else 0. */
int kc_zstd_declared_size(const void *src, size_t src_len, uint64_t *size);

/** snappy_max_compressed_length. */
size_t kc_snappy_max_compressed_length(size_t src_len);
/** snappy_compress: one raw snappy block (no framing). */
int kc_snappy_compress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len);
/** snappy_uncompressed_length: the length a raw block declares in its varint preamble. */
int kc_snappy_uncompressed_length(const void *src, size_t src_len, size_t *length);
/** snappy_uncompress: one raw block into dst; KC_FULL if dst_cap is below the declared length. */
int kc_snappy_uncompress(const void *src, size_t src_len, void *dst, size_t dst_cap, size_t *dst_len);

/* ---- streaming decoders (gzip, lz4, zstd) for bounded decompression ----
 * kc_decoder_run decodes from in[*in_pos, in_len) into out[*out_pos, out_cap), advancing both positions,
 * until one of:
 *   KC_OK        the input is used up and every stream (gzip member / lz4 frame / zstd frame) in it ended;
 *   KC_FULL      out is full (more output may or may not follow: call again with more room, or with a
 *                1-byte probe buffer to find out);
 *   KC_TRUNCATED the input is used up in the middle of a stream;
 *   KC_CORRUPT / KC_NOMEM / KC_WINDOW_TOO_LARGE.
 * Concatenated members/frames are accepted; bytes after the last one that do not start another are corrupt.
 * The caller may change `out` between calls (the decoders keep their own window).
 */
typedef struct kc_decoder kc_decoder;

/** Creates a decoder for KC_CODEC_GZIP, KC_CODEC_LZ4 or KC_CODEC_ZSTD. output_limit bounds the zstd
 *  window (windowLogMax = ceil(log2(output_limit)), clamped to 10...27); NULL on failure. */
kc_decoder *kc_decoder_create(int codec, size_t output_limit);
void kc_decoder_destroy(kc_decoder *decoder);
int kc_decoder_run(kc_decoder *decoder, const void *in, size_t in_len, size_t *in_pos,
                   void *out, size_t out_cap, size_t *out_pos);
/** The library's description of the last error, or "" (static storage; never NULL). */
const char *kc_decoder_message(const kc_decoder *decoder);

/** Library versions, for the benchmark's report. */
const char *kc_zlib_version(void);
unsigned kc_lz4_version(void);
unsigned kc_zstd_version(void);

#ifdef __cplusplus
}
#endif

#endif

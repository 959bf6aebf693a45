/*
 * rdbench rawproduce: a producer with almost no client cost, to measure what the broker's produce
 * path can take when the client is not the bottleneck (librdkafka's two threads use about as much
 * CPU as the broker on this two-core machine, so its figures are the client's as much as the broker's).
 *
 *   rdbench rawproduce brokers=H:P topic=T partitions=N size=S [max_bytes=B] [max_seconds=D]
 *                      [acks=1|all] [idempotent=0|1] [inflight=5] [batch_bytes=1000000]
 *
 * One TCP connection; InitProducerId v1 (idempotent=1, the default) for a producer id, then
 * Produce v7 requests of one v2 batch each, to partitions 0, 1, ..., N-1 in turn, at most `inflight`
 * requests unanswered (5, the most an idempotent Kafka producer may have). A batch holds as many
 * records of S-byte values (no key, no headers, no compression) as fit in batch_bytes; its records
 * are encoded once, and every batch gets its own header: base sequence (per partition, as an
 * idempotent producer numbers them), timestamps and a CRC32C over the whole batch, as any client
 * computes it. Throughput counts acknowledged value bytes over the time from the first request to
 * the last response. Any partition error stops the run and is reported (failed=, first_error=).
 * write_ms and answer_ms are per request: the time writev took, and from written to answered
 * (means); answer_max_ms is the longest answer.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "rdbench.h"

#define BATCH_HEADER 61 /* baseOffset .. recordCount of a v2 batch */
#define CRC_FROM 21     /* the CRC covers attributes to the end */

__attribute__((target("sse4.2"))) static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n) {
        uint64_t c = ~crc;
        for (; n >= 8; p += 8, n -= 8) {
                uint64_t v;
                memcpy(&v, p, 8);
                c = _mm_crc32_u64(c, v);
        }
        for (; n; p++, n--) c = _mm_crc32_u8((uint32_t)c, *p);
        return ~(uint32_t)c;
}

static uint8_t *put16(uint8_t *p, int16_t v) { uint16_t x = htons((uint16_t)v); memcpy(p, &x, 2); return p + 2; }
static uint8_t *put32(uint8_t *p, int32_t v) { uint32_t x = htonl((uint32_t)v); memcpy(p, &x, 4); return p + 4; }
static uint8_t *put64(uint8_t *p, int64_t v) { p = put32(p, (int32_t)((uint64_t)v >> 32)); return put32(p, (int32_t)v); }
static uint8_t *putstr(uint8_t *p, const char *s) { size_t n = strlen(s); p = put16(p, (int16_t)n); memcpy(p, s, n); return p + n; }
static uint8_t *putvarint(uint8_t *p, int64_t v) { /* zigzag */
        uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
        while (z >= 0x80) { *p++ = (uint8_t)(z | 0x80); z >>= 7; }
        *p++ = (uint8_t)z;
        return p;
}
static int16_t get16(const uint8_t *p) { uint16_t x; memcpy(&x, p, 2); return (int16_t)ntohs(x); }
static int32_t get32(const uint8_t *p) { uint32_t x; memcpy(&x, p, 4); return (int32_t)ntohl(x); }
static int64_t get64(const uint8_t *p) { return (int64_t)(((uint64_t)(uint32_t)get32(p) << 32) | (uint32_t)get32(p + 4)); }

static void die(const char *what) { perror(what); exit(1); }

static void write_all(int fd, struct iovec *iov, int n) {
        while (n > 0) {
                ssize_t w = writev(fd, iov, n);
                if (w < 0) { if (errno == EINTR) continue; die("rawproduce: writev"); }
                while (n > 0 && (size_t)w >= iov->iov_len) { w -= (ssize_t)iov->iov_len; iov++; n--; }
                if (n > 0) { iov->iov_base = (uint8_t *)iov->iov_base + w; iov->iov_len -= (size_t)w; }
        }
}

static void read_all(int fd, uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t r = read(fd, p, n);
                if (r == 0) { fprintf(stderr, "rawproduce: the broker closed the connection\n"); exit(1); }
                if (r < 0) { if (errno == EINTR) continue; die("rawproduce: read"); }
                p += r; n -= (size_t)r;
        }
}

/* One response frame (after its size) into *buf; returns its length. */
static size_t read_frame(int fd, uint8_t **buf, size_t *cap) {
        uint8_t sz[4];
        read_all(fd, sz, 4);
        size_t n = (size_t)get32(sz);
        if (n > *cap) { *cap = n; *buf = realloc(*buf, n); if (!*buf) die("rawproduce: realloc"); }
        read_all(fd, *buf, n);
        return n;
}

static int connect_to(const char *hostport) {
        char host[256];
        snprintf(host, sizeof host, "%s", hostport);
        char *colon = strrchr(host, ':');
        if (!colon) { fprintf(stderr, "rawproduce: brokers=HOST:PORT\n"); exit(2); }
        *colon = 0;
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
        if (getaddrinfo(host, colon + 1, &hints, &ai)) { fprintf(stderr, "rawproduce: cannot resolve %s\n", hostport); exit(1); }
        int fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) die("rawproduce: connect");
        freeaddrinfo(ai);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
}

static const char *client_id = "strom-rawproduce";

int raw_produce(void) {
        const char *topic = need("topic");
        int partitions = (int)arg_ll("partitions", 4);
        int size = (int)arg_ll("size", 1024);
        long long max_bytes = arg_ll("max_bytes", 1000000000);
        double max_seconds = (double)arg_ll("max_seconds", 60);
        int acks = !strcmp(arg("acks", "all"), "all") ? -1 : (int)arg_ll("acks", 1);
        int idempotent = (int)arg_ll("idempotent", 1);
        int window = (int)arg_ll("inflight", 5);
        long long batch_bytes = arg_ll("batch_bytes", 1000000);
        if (partitions < 1 || size < 1 || window < 1 || window > 64 || batch_bytes < 1) { fprintf(stderr, "rawproduce: bad arguments\n"); return 2; }

        int fd = connect_to(need("brokers"));
        uint8_t *rbuf = NULL;
        size_t rcap = 0;
        int32_t corr = 0;

        /* ---- InitProducerId v1: null transactional id ---- */
        int64_t pid = -1;
        int16_t epoch = -1;
        if (idempotent) {
                uint8_t req[128], *p = req + 4;
                p = put16(p, 22); p = put16(p, 1); p = put32(p, corr++); p = putstr(p, client_id);
                p = put16(p, -1); p = put32(p, 60000);
                put32(req, (int32_t)(p - req - 4));
                struct iovec iov = {req, (size_t)(p - req)};
                write_all(fd, &iov, 1);
                size_t n = read_frame(fd, &rbuf, &rcap);
                /* correlation id, throttle time, error code, producer id, epoch */
                if (n < 20 || get16(rbuf + 8)) { fprintf(stderr, "rawproduce: InitProducerId failed (error %d)\n", n >= 10 ? get16(rbuf + 8) : -1); return 1; }
                pid = get64(rbuf + 10);
                epoch = get16(rbuf + 18);
        }

        /* ---- the records of one batch, encoded once ---- */
        uint8_t *value = calloc(1, (size_t)size + 1);
        for (int i = 0; i < size; i++) value[i] = (uint8_t)('a' + i % 26);
        uint8_t tmp[32];
        int per_record = 0; /* encoded size, for the count that fits */
        {
                uint8_t *q = tmp;
                q = putvarint(q, 0); q = putvarint(q, 100000); q = putvarint(q, -1); q = putvarint(q, size); q = putvarint(q, 0);
                per_record = (int)(q - tmp) + 1 + size + 3;
        }
        int count = (int)((batch_bytes - BATCH_HEADER) / per_record);
        if (count < 1) count = 1;
        uint8_t *records = malloc((size_t)count * (size_t)(size + 32));
        uint8_t *r = records;
        for (int i = 0; i < count; i++) {
                uint8_t body[32], *b = body;
                *b++ = 0;               /* attributes */
                b = putvarint(b, 0);    /* timestamp delta */
                b = putvarint(b, i);    /* offset delta */
                b = putvarint(b, -1);   /* no key */
                b = putvarint(b, size); /* value length */
                int length = (int)(b - body) + size + 1; /* + header count */
                r = putvarint(r, length);
                memcpy(r, body, (size_t)(b - body)); r += b - body;
                memcpy(r, value, (size_t)size); r += size;
                r = putvarint(r, 0);    /* headers */
        }
        size_t records_len = (size_t)(r - records);

        /* ---- the request up to its records (written out before the next is built) ---- */
        size_t tlen = strlen(topic);
        uint8_t prefix[512];
        if (64 + strlen(client_id) + tlen + BATCH_HEADER > sizeof prefix) { fprintf(stderr, "rawproduce: topic name too long\n"); return 2; }
        int32_t *slot_corr = calloc((size_t)window, sizeof *slot_corr);
        int32_t *sequence = calloc((size_t)partitions, sizeof *sequence);
        long long per_batch_bytes = (long long)count * size;

        long long sent = 0, acked = 0, failed = 0, requests = 0;
        int first_error = 0;
        int inflight = 0, next_slot = 0, oldest_slot = 0, partition = 0;
        uint64_t start = now_ns(), end = start;
        double cpu0 = self_cpu_seconds();
        int stopping = 0;
        /* Where a request's time goes, from here: writing it, and from written to answered. */
        uint64_t writing_ns = 0, answer_ns = 0, answer_max_ns = 0, written_at[64];
        while (1) {
                while (!stopping && inflight < window) {
                        if (sent >= max_bytes || (now_ns() - start) / 1e9 >= max_seconds || failed) { stopping = 1; break; }
                        uint8_t *h = prefix, *p = h + 4;
                        p = put16(p, 0); p = put16(p, 7); slot_corr[next_slot] = corr; p = put32(p, corr++); p = putstr(p, client_id);
                        p = put16(p, -1); p = put16(p, (int16_t)acks); p = put32(p, 30000);
                        p = put32(p, 1); p = put16(p, (int16_t)tlen); memcpy(p, topic, tlen); p += tlen;
                        p = put32(p, 1); p = put32(p, partition);
                        p = put32(p, (int32_t)(BATCH_HEADER + records_len));
                        uint8_t *batch = p;
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
                        p = put64(p, 0);                                      /* base offset */
                        p = put32(p, (int32_t)(BATCH_HEADER - 12 + records_len)); /* batch length */
                        p = put32(p, -1);                                     /* partition leader epoch */
                        *p++ = 2;                                             /* magic */
                        p += 4;                                               /* crc, below */
                        p = put16(p, 0);                                      /* attributes */
                        p = put32(p, count - 1);                              /* last offset delta */
                        p = put64(p, ms); p = put64(p, ms);                   /* base and max timestamp */
                        p = put64(p, pid); p = put16(p, epoch);
                        p = put32(p, idempotent ? sequence[partition] : -1);
                        p = put32(p, count);
                        uint32_t crc = crc32c(crc32c(0, batch + CRC_FROM, BATCH_HEADER - CRC_FROM), records, records_len);
                        put32(batch + 17, (int32_t)crc);
                        put32(h, (int32_t)(p - h - 4 + records_len));
                        struct iovec iov[2] = {{h, (size_t)(p - h)}, {records, records_len}};
                        uint64_t w0 = now_ns();
                        write_all(fd, iov, 2);
                        written_at[next_slot] = now_ns();
                        writing_ns += written_at[next_slot] - w0;
                        if (idempotent) sequence[partition] += count; /* wraps as Kafka's does not matter here */
                        partition = (partition + 1) % partitions;
                        sent += per_batch_bytes;
                        requests++;
                        inflight++;
                        next_slot = (next_slot + 1) % window;
                }
                if (inflight == 0) break;
                size_t n = read_frame(fd, &rbuf, &rcap);
                end = now_ns();
                answer_ns += end - written_at[oldest_slot];
                if (end - written_at[oldest_slot] > answer_max_ns) answer_max_ns = end - written_at[oldest_slot];
                /* correlation id, [topics: name, [partitions: index, error, base offset, append time, log start]], throttle */
                if (n < 8 || get32(rbuf) != slot_corr[oldest_slot]) { fprintf(stderr, "rawproduce: unexpected response\n"); return 1; }
                const uint8_t *q = rbuf + 4;
                int32_t topics = get32(q); q += 4;
                for (int t = 0; t < topics; t++) {
                        q += 2 + get16(q);
                        int32_t parts = get32(q); q += 4;
                        for (int i = 0; i < parts; i++, q += 4 + 2 + 8 + 8 + 8) {
                                int16_t err = get16(q + 4);
                                if (err) { failed++; if (!first_error) first_error = err; }
                                else acked += per_batch_bytes;
                        }
                }
                inflight--;
                oldest_slot = (oldest_slot + 1) % window;
        }
        double secs = (end - start) / 1e9, cpu = self_cpu_seconds() - cpu0;
        printf("RESULT mode=rawproduce topic=%s size=%d acks=%s idempotent=%d inflight=%d records_per_batch=%d requests=%lld "
               "delivered=%lld bytes=%lld failed=%lld first_error=%d secs=%.3f recs_per_s=%.0f MBps=%.2f client_cpu_s=%.2f write_ms=%.3f answer_ms=%.3f answer_max_ms=%.1f\n",
               topic, size, acks == -1 ? "all" : "1", idempotent, window, count, requests, size ? acked / size : 0, acked, failed, first_error,
               secs, size ? acked / size / secs : 0, acked / secs / 1e6, cpu, requests ? writing_ns / 1e6 / requests : 0, requests ? answer_ns / 1e6 / requests : 0, answer_max_ns / 1e6);
        close(fd);
        return failed ? 1 : 0;
}

/*
 * rdbench: the load driver of scripts/bench-broker.sh. A thin C program over the system
 * librdkafka (Debian's librdkafka-dev) so that the client costs as little CPU as possible on a
 * two-core machine it shares with the broker.
 *
 *   rdbench loopback bytes=N                      TCP through 127.0.0.1, sender in a child process
 *   rdbench pagecache file=PATH bytes=N           buffered pwrite of 1 MiB chunks into a new file, no
 *                                                 sync: the kernel's CPU cost of the page-cache copy
 *   rdbench create   brokers=H:P topic=T partitions=N [replication_factor=1] [T.<topic config>=<value> ...]
 *   rdbench metadata brokers=H:P topic=T          one line per partition: leader, replicas, ISR
 *   rdbench produce  brokers=H:P topic=T partitions=N size=S [max_bytes=B] [max_seconds=D]
 *                    [acks=1|all] [idempotent=0|1] [rate=MSGS_PER_S] [linger_ms=5] [latency=0|1]
 *                    [events=PATH] [txn_records=N] [txn_ms=M] [X.<librdkafka property>=<value> ...]
 *   rdbench rawproduce brokers=H:P topic=T partitions=N size=S [max_bytes=B] [max_seconds=D] [acks=1|all]
 *                    [idempotent=0|1] [inflight=5] [batch_bytes=1000000]   (rawproduce.c: no librdkafka)
 *   rdbench synclog  dir=PATH [files=4] [bytes=N] [chunk=1000000] [inflight=5]
 *                    acks=all produce's appends and fdatasyncs without a broker (synclog.c)
 *   rdbench consume  brokers=H:P topic=T partitions=N expect=RECORDS [idle_seconds=10]
 *                    [X.<librdkafka property>=<value> ...]
 *
 * Every mode prints one line `RESULT key=value ...` (MB = 10^6 bytes, GB = 10^9 bytes) that the
 * script parses, and diagnostics on stderr.
 *
 * produce: messages go to partition (i mod partitions), value only, no key, no compression, from
 * one static payload (not copied by librdkafka). Throughput is delivered bytes / (last delivery
 * report - first produce()). With rate=R the main thread sends one message every 1/R s (sleeping
 * with clock_nanosleep in between) while a second thread blocks in rd_kafka_poll(), so delivery
 * reports are served as soon as librdkafka has them. With latency=1 each message's latency is the
 * time from just before its produce() call to its delivery-report callback. With events=PATH every
 * delivery report is a line `<CLOCK_REALTIME ns> <partition> <offset> <broker id> <error code>` in
 * PATH, written as it happens (for failover timelines). SIGTERM or SIGINT stops the sending; what was
 * sent is still flushed and reported. With txn_records=N or txn_ms=M the producer is transactional
 * (transactional.id "rdbench-<topic>", idempotent, acks=all): it commits after every N messages or M
 * milliseconds, whichever comes first (rd_kafka_commit_transaction flushes and waits for the
 * commit), and begins the next transaction; the last one commits before the clock stops.
 *
 * consume: the legacy per-partition consumer (no group: Strom has no group coordinator yet), every
 * partition started at the beginning into one queue, read in batches until `expect` records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "rdbench.h"

#define MAX_ARGS 64

static const char *keys[MAX_ARGS], *vals[MAX_ARGS];
static int nargs;

const char *arg(const char *key, const char *def) {
        for (int i = 0; i < nargs; i++)
                if (!strcmp(keys[i], key)) return vals[i];
        return def;
}
long long arg_ll(const char *key, long long def) {
        const char *v = arg(key, NULL);
        return v ? strtoll(v, NULL, 10) : def;
}
static double arg_d(const char *key, double def) {
        const char *v = arg(key, NULL);
        return v ? strtod(v, NULL) : def;
}
const char *need(const char *key) {
        const char *v = arg(key, NULL);
        if (!v) { fprintf(stderr, "rdbench: missing %s=\n", key); exit(2); }
        return v;
}

uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double self_cpu_seconds(void) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
        char err[512];
        if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "rdbench: %s=%s: %s\n", k, v, err);
                exit(2);
        }
}

/* Applies the X.<property>=<value> arguments after the defaults. */
static void set_overrides(rd_kafka_conf_t *conf) {
        for (int i = 0; i < nargs; i++)
                if (!strncmp(keys[i], "X.", 2)) set(conf, keys[i] + 2, vals[i]);
}

/* The client's request count: the top-level "tx" of the last statistics JSON (its first "tx"). */
static long long requests_sent = -1;

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque) {
        (void)rk; (void)len; (void)opaque;
        const char *tx = strstr(json, "\"tx\":");
        if (tx) requests_sent = strtoll(tx + 5, NULL, 10);
        return 0;
}

/* Waits for one more statistics callback, so that requests_sent covers everything sent. */
static void final_stats(rd_kafka_t *rk) {
        long long before = requests_sent;
        requests_sent = -2;
        for (int i = 0; i < 30 && requests_sent == -2; i++) rd_kafka_poll(rk, 20);
        if (requests_sent == -2) requests_sent = before;
}

static rd_kafka_conf_t *base_conf(void) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", need("brokers"));
        set(conf, "client.id", "strom-rdbench");
        set(conf, "log_level", "4");
        set(conf, "statistics.interval.ms", "100");
        rd_kafka_conf_set_stats_cb(conf, stats_cb);
        return conf;
}

/* ---- loopback ---------------------------------------------------------------------------- */

static int loopback(void) {
        long long total = arg_ll("bytes", 4000000000ll);
        size_t chunk = 256 * 1024;
        int ls = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) ||
            getsockname(ls, (struct sockaddr *)&a, &alen)) {
                perror("rdbench loopback");
                return 1;
        }
        pid_t child = fork();
        if (child == 0) {
                int s = socket(AF_INET, SOCK_STREAM, 0);
                if (connect(s, (struct sockaddr *)&a, sizeof a)) _exit(1);
                char *buf = calloc(1, chunk);
                long long sent = 0;
                while (sent < total) {
                        size_t n = total - sent < (long long)chunk ? (size_t)(total - sent) : chunk;
                        ssize_t w = write(s, buf, n);
                        if (w < 0) { if (errno == EINTR) continue; _exit(1); }
                        sent += w;
                }
                close(s);
                _exit(0);
        }
        int c = accept(ls, NULL, NULL);
        char *buf = malloc(chunk);
        long long got = 0;
        double cpu0 = self_cpu_seconds();
        uint64_t t0 = now_ns();
        for (;;) {
                ssize_t r = read(c, buf, chunk);
                if (r < 0) { if (errno == EINTR) continue; perror("read"); return 1; }
                if (r == 0) break;
                got += r;
        }
        double secs = (now_ns() - t0) / 1e9;
        double recv_cpu = self_cpu_seconds() - cpu0;
        int status;
        struct rusage child_ru;
        wait4(child, &status, 0, &child_ru);
        double send_cpu = child_ru.ru_utime.tv_sec + child_ru.ru_stime.tv_sec + (child_ru.ru_utime.tv_usec + child_ru.ru_stime.tv_usec) / 1e6;
        printf("RESULT mode=loopback bytes=%lld secs=%.3f GBps=%.3f recv_cpu_s_per_GB=%.3f send_cpu_s_per_GB=%.3f\n", got, secs,
               got / secs / 1e9, recv_cpu / (got / 1e9), send_cpu / (got / 1e9));
        return got == total ? 0 : 1;
}

/* ---- pagecache -------------------------------------------------------------------------- */

static int pagecache(void) {
        const char *path = need("file");
        long long total = arg_ll("bytes", 1ll << 30);
        size_t chunk = 1 << 20;
        char *buf = malloc(chunk);
        for (size_t i = 0; i < chunk; i++) buf[i] = (char)(i * 2654435761u >> 13);
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        if (fd < 0) { perror(path); return 1; }
        double cpu0 = self_cpu_seconds();
        uint64_t t0 = now_ns();
        for (long long off = 0; off < total; off += (long long)chunk)
                if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk) { perror("pwrite"); return 1; }
        double secs = (now_ns() - t0) / 1e9, cpu = self_cpu_seconds() - cpu0;
        close(fd);
        unlink(path);
        printf("RESULT mode=pagecache bytes=%lld secs=%.3f GBps=%.3f cpu_s_per_GB=%.3f\n", total, secs, total / secs / 1e9, cpu / (total / 1e9));
        return 0;
}

/* ---- create ------------------------------------------------------------------------------ */

static int create(void) {
        char err[512];
        rd_kafka_conf_t *conf = base_conf();
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        if (!rk) { fprintf(stderr, "rdbench: %s\n", err); return 1; }
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(need("topic"), (int)arg_ll("partitions", 4),
                                                        (int)arg_ll("replication_factor", 1), err, sizeof err);
        if (!nt) { fprintf(stderr, "rdbench: %s\n", err); return 1; }
        for (int i = 0; i < nargs; i++)
                if (!strncmp(keys[i], "T.", 2) && rd_kafka_NewTopic_set_config(nt, keys[i] + 2, vals[i])) {
                        fprintf(stderr, "rdbench: topic config %s=%s refused\n", keys[i] + 2, vals[i]);
                        return 1;
                }
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
        int rc = 1;
        if (!ev) {
                fprintf(stderr, "rdbench: CreateTopics timed out\n");
        } else if (rd_kafka_event_error(ev)) {
                fprintf(stderr, "rdbench: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
        } else {
                size_t n;
                const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
                rc = 0;
                for (size_t i = 0; i < n; i++) {
                        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
                        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                                fprintf(stderr, "rdbench: CreateTopics %s: %s\n", rd_kafka_topic_result_name(res[i]), rd_kafka_err2str(e));
                                rc = 1;
                        }
                }
        }
        if (ev) rd_kafka_event_destroy(ev);
        rd_kafka_NewTopic_destroy(nt);
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy(rk);
        if (!rc) printf("RESULT mode=create topic=%s\n", need("topic"));
        return rc;
}

/* ---- metadata ---------------------------------------------------------------------------- */

static void print_ids(const char *name, const int32_t *ids, int n) {
        printf(" %s=", name);
        for (int i = 0; i < n; i++) printf("%s%" PRId32, i ? "," : "", ids[i]);
}

static int metadata(void) {
        char err[512];
        rd_kafka_conf_t *conf = base_conf();
        set_overrides(conf);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        if (!rk) { fprintf(stderr, "rdbench: %s\n", err); return 1; }
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, need("topic"), NULL);
        const struct rd_kafka_metadata *md;
        rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        int rc = 1;
        if (e) {
                fprintf(stderr, "rdbench: metadata: %s\n", rd_kafka_err2str(e));
        } else if (md->topic_cnt != 1 || md->topics[0].err) {
                fprintf(stderr, "rdbench: metadata: %s\n", md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "no topic");
        } else {
                const rd_kafka_metadata_topic_t *t = &md->topics[0];
                for (int i = 0; i < t->partition_cnt; i++) {
                        const rd_kafka_metadata_partition_t *p = &t->partitions[i];
                        printf("PARTITION partition=%" PRId32 " leader=%" PRId32 " error=%d", p->id, p->leader, p->err);
                        print_ids("replicas", p->replicas, p->replica_cnt);
                        print_ids("isr", p->isrs, p->isr_cnt);
                        printf("\n");
                }
                printf("RESULT mode=metadata topic=%s partitions=%d brokers=%d\n", t->topic, t->partition_cnt, md->broker_cnt);
                rc = 0;
        }
        if (!e) rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return rc;
}

/* ---- produce ----------------------------------------------------------------------------- */

static long long delivered, delivered_bytes, failed;
static uint64_t last_dr_ns;
static int record_latency;
static uint32_t *lat_us; /* one slot per message when measuring latency */
static long long lat_n, lat_cap;
static rd_kafka_resp_err_t first_error;
static FILE *events; /* events=PATH: one line per delivery report */
static volatile sig_atomic_t stop_requested;

static void request_stop(int sig) { (void)sig; stop_requested = 1; }

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk; (void)opaque;
        uint64_t t = now_ns();
        last_dr_ns = t;
        if (events) {
                struct timespec wall;
                clock_gettime(CLOCK_REALTIME, &wall);
                fprintf(events, "%lld %" PRId32 " %" PRId64 " %" PRId32 " %d\n",
                        (long long)wall.tv_sec * 1000000000ll + wall.tv_nsec, m->partition, m->offset,
                        rd_kafka_message_broker_id(m), m->err);
                fflush(events);
        }
        if (m->err) {
                if (!failed) first_error = m->err;
                failed++;
                return;
        }
        delivered++;
        delivered_bytes += (long long)m->len;
        if (record_latency && lat_n < lat_cap) {
                uint64_t sent = (uint64_t)(uintptr_t)m->_private;
                lat_us[lat_n++] = (uint32_t)((t - sent) / 1000);
        }
}

static volatile int poller_stop;

static void *poller(void *rk) {
        while (!poller_stop) rd_kafka_poll((rd_kafka_t *)rk, 100);
        return NULL;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

static double pct(double p) {
        if (!lat_n) return 0;
        long long i = (long long)(p / 100.0 * (double)(lat_n - 1) + 0.5);
        return lat_us[i] / 1000.0;
}

static int produce(void) {
        char err[512], buf[64];
        int size = (int)arg_ll("size", 1024), partitions = (int)arg_ll("partitions", 4);
        long long max_bytes = arg_ll("max_bytes", 1000000000ll);
        double max_seconds = arg_d("max_seconds", 30), rate = arg_d("rate", 0);
        long long max_msgs = max_bytes / size;
        record_latency = (int)arg_ll("latency", 0);
        const char *acks = arg("acks", "1");
        const char *events_path = arg("events", NULL);
        if (events_path && !(events = fopen(events_path, "w"))) { perror(events_path); return 1; }
        signal(SIGTERM, request_stop);
        signal(SIGINT, request_stop);

        long long txn_records = arg_ll("txn_records", 0), txn_ms = arg_ll("txn_ms", 0), transactions = 0;
        int transactional = txn_records > 0 || txn_ms > 0;
        rd_kafka_conf_t *conf = base_conf();
        set(conf, "acks", acks);
        set(conf, "enable.idempotence", arg_ll("idempotent", 0) || transactional ? "true" : "false");
        if (transactional) {
                snprintf(buf, sizeof buf, "rdbench-%s", need("topic"));
                set(conf, "transactional.id", buf);
                set(conf, "acks", "all");
                /* librdkafka wants message.timeout.ms (120 s below) <= transaction.timeout.ms. */
                set(conf, "transaction.timeout.ms", "120000");
        }
        snprintf(buf, sizeof buf, "%lld", arg_ll("linger_ms", 5));
        set(conf, "linger.ms", buf);
        set(conf, "batch.size", "1000000");
        set(conf, "batch.num.messages", "100000");
        set(conf, "queue.buffering.max.messages", "2000000");
        set(conf, "queue.buffering.max.kbytes", "1048576");
        set(conf, "compression.codec", "none");
        set(conf, "message.timeout.ms", "120000");
        set_overrides(conf);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        if (!rk) { fprintf(stderr, "rdbench: %s\n", err); return 1; }
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, need("topic"), NULL);

        if (record_latency) {
                lat_cap = rate > 0 ? (long long)(rate * max_seconds) + 1024 : max_msgs;
                lat_us = malloc(sizeof *lat_us * (size_t)lat_cap);
        }
        char *payload = malloc((size_t)size);
        for (int i = 0; i < size; i++) payload[i] = (char)('a' + i % 26);

        /* Wait for metadata so that the clock does not start with the connection set-up. */
        const struct rd_kafka_metadata *md;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);

        rd_kafka_error_t *txe;
        if (transactional && (txe = rd_kafka_init_transactions(rk, 30000))) {
                fprintf(stderr, "rdbench: init_transactions: %s\n", rd_kafka_error_string(txe));
                return 1;
        }
        double cpu0 = self_cpu_seconds();
        uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(max_seconds * 1e9);
        uint64_t txn_start = t0;
        long long in_txn = 0;
        if (transactional && (txe = rd_kafka_begin_transaction(rk))) {
                fprintf(stderr, "rdbench: begin_transaction: %s\n", rd_kafka_error_string(txe));
                return 1;
        }
        double interval_ns = rate > 0 ? 1e9 / rate : 0;
        long long sent = 0, queue_full = 0;
        pthread_t poll_thread;
        if (rate > 0) pthread_create(&poll_thread, NULL, poller, rk);
        while (sent < max_msgs) {
                uint64_t t = now_ns();
                if (stop_requested || ((sent & 255) == 0 && t >= deadline)) break;
                /* Commit before the next message once the transaction is due, also while the queue is full. */
                if (transactional && in_txn > 0 && ((txn_records > 0 && in_txn >= txn_records) ||
                                                    (txn_ms > 0 && t - txn_start >= (uint64_t)txn_ms * 1000000ull))) {
                        if ((txe = rd_kafka_commit_transaction(rk, 120000)) || (txe = rd_kafka_begin_transaction(rk))) {
                                fprintf(stderr, "rdbench: commit/begin transaction: %s\n", rd_kafka_error_string(txe));
                                break;
                        }
                        transactions++;
                        in_txn = 0;
                        txn_start = now_ns();
                        t = txn_start;
                }
                if (rate > 0) {
                        uint64_t due = t0 + (uint64_t)(sent * interval_ns);
                        if (t < due) {
                                struct timespec ts = {.tv_sec = (time_t)(due / 1000000000ull), .tv_nsec = (long)(due % 1000000000ull)};
                                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
                        }
                        t = now_ns();
                }
                rd_kafka_resp_err_t e = rd_kafka_producev(
                    rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION((int32_t)(sent % partitions)),
                    RD_KAFKA_V_VALUE(payload, (size_t)size), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)t), RD_KAFKA_V_END);
                if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        queue_full++;
                        if (rate > 0) usleep(1000); else rd_kafka_poll(rk, 1);
                        continue;
                }
                if (e) { fprintf(stderr, "rdbench: produce: %s\n", rd_kafka_err2str(e)); break; }
                sent++;
                in_txn++;
                if (rate == 0 && (sent & 1023) == 0) rd_kafka_poll(rk, 0);
        }
        if (transactional && in_txn > 0) {
                if ((txe = rd_kafka_commit_transaction(rk, 120000))) fprintf(stderr, "rdbench: commit_transaction: %s\n", rd_kafka_error_string(txe));
                else transactions++;
        }
        uint64_t t_sent = now_ns();
        if (rate > 0) {
                poller_stop = 1;
                pthread_join(poll_thread, NULL);
        }
        rd_kafka_flush(rk, 120000);
        double secs = ((last_dr_ns ? last_dr_ns : now_ns()) - t0) / 1e9;
        double cpu = self_cpu_seconds() - cpu0;
        final_stats(rk);

        printf("RESULT mode=produce topic=%s size=%d acks=%s idempotent=%lld sent=%lld delivered=%lld failed=%lld "
               "bytes=%lld secs=%.3f send_secs=%.3f recs_per_s=%.0f MBps=%.2f client_cpu_s=%.2f queue_full=%lld requests=%lld transactions=%lld",
               need("topic"), size, acks, arg_ll("idempotent", 0), sent, delivered, failed, delivered_bytes, secs,
               (t_sent - t0) / 1e9, delivered / secs, delivered_bytes / secs / 1e6, cpu, queue_full, requests_sent, transactions);
        if (record_latency) {
                qsort(lat_us, (size_t)lat_n, sizeof *lat_us, cmp_u32);
                printf(" lat_n=%lld p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f", lat_n, pct(50), pct(90),
                       pct(99), pct(99.9), lat_n ? lat_us[lat_n - 1] / 1000.0 : 0.0);
        }
        printf("\n");
        if (failed) fprintf(stderr, "rdbench: %lld deliveries failed, first: %s\n", failed, rd_kafka_err2str(first_error));
        if (events) fclose(events);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return failed || delivered != sent ? 1 : 0;
}

/* ---- consume ----------------------------------------------------------------------------- */

static int consume(void) {
        char err[512];
        int partitions = (int)arg_ll("partitions", 4);
        long long expect = arg_ll("expect", 0);
        double idle = arg_d("idle_seconds", 10);
        rd_kafka_conf_t *conf = base_conf();
        set(conf, "enable.partition.eof", "false");
        set(conf, "fetch.wait.max.ms", "100");
        set(conf, "fetch.message.max.bytes", "4194304");
        set(conf, "fetch.max.bytes", "52428800");
        set(conf, "queued.min.messages", "1000000");
        set(conf, "queued.max.messages.kbytes", "262144");
        set_overrides(conf);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        if (!rk) { fprintf(stderr, "rdbench: %s\n", err); return 1; }
        rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
        if (rd_kafka_topic_conf_set(tconf, "auto.offset.reset", "earliest", err, sizeof err) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "rdbench: %s\n", err);
                return 1;
        }
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, need("topic"), tconf);
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        const struct rd_kafka_metadata *md;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);

        double cpu0 = self_cpu_seconds();
        uint64_t t0 = now_ns(), last = t0;
        for (int p = 0; p < partitions; p++)
                if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1) {
                        fprintf(stderr, "rdbench: consume_start %d: %s\n", p, rd_kafka_err2str(rd_kafka_last_error()));
                        return 1;
                }
        rd_kafka_message_t *msgs[10000];
        long long got = 0, bytes = 0, errors = 0;
        while (got < expect) {
                ssize_t n = rd_kafka_consume_batch_queue(q, 1000, msgs, 10000);
                uint64_t t = now_ns();
                rd_kafka_poll(rk, 0); /* statistics */
                if (n <= 0) {
                        if ((t - last) / 1e9 > idle) { fprintf(stderr, "rdbench: consume idle for %.0f s\n", idle); break; }
                        continue;
                }
                last = t;
                for (ssize_t i = 0; i < n; i++) {
                        if (msgs[i]->err) {
                                if (errors++ < 5) fprintf(stderr, "rdbench: consume: %s\n", rd_kafka_message_errstr(msgs[i]));
                        } else {
                                got++;
                                bytes += (long long)msgs[i]->len;
                        }
                        rd_kafka_message_destroy(msgs[i]);
                }
        }
        double secs = (last - t0) / 1e9;
        double cpu = self_cpu_seconds() - cpu0;
        final_stats(rk);
        printf("RESULT mode=consume topic=%s records=%lld bytes=%lld secs=%.3f recs_per_s=%.0f MBps=%.2f client_cpu_s=%.2f errors=%lld requests=%lld\n",
               need("topic"), got, bytes, secs, got / secs, bytes / secs / 1e6, cpu, errors, requests_sent);
        for (int p = 0; p < partitions; p++) rd_kafka_consume_stop(rkt, p);
        rd_kafka_queue_destroy(q);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return got >= expect ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: rdbench loopback|pagecache|create|metadata|produce|rawproduce|synclog|consume key=value ...\n");
                return 2;
        }
        signal(SIGPIPE, SIG_IGN);
        for (int i = 2; i < argc && nargs < MAX_ARGS; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq) { fprintf(stderr, "rdbench: expected key=value, got %s\n", argv[i]); return 2; }
                *eq = 0;
                keys[nargs] = argv[i];
                vals[nargs++] = eq + 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!strcmp(argv[1], "loopback")) return loopback();
        if (!strcmp(argv[1], "pagecache")) return pagecache();
        if (!strcmp(argv[1], "create")) return create();
        if (!strcmp(argv[1], "metadata")) return metadata();
        if (!strcmp(argv[1], "produce")) return produce();
        if (!strcmp(argv[1], "consume")) return consume();
        if (!strcmp(argv[1], "rawproduce")) return raw_produce();
        if (!strcmp(argv[1], "synclog")) return sync_log();
        fprintf(stderr, "rdbench: unknown mode %s\n", argv[1]);
        return 2;
}

/*
 * rdbench synclog: the disk pattern of single-node acks=all produce, without a broker. What the
 * disk and the kernel allow when every request is made durable before it is answered, so the
 * broker's figure can be read against it as well as against dd.
 *
 *   rdbench synclog dir=PATH [files=4] [bytes=N] [chunk=1000000] [inflight=5]
 *
 * `files` log files in PATH; chunks of `chunk` bytes are appended to files 0, 1, ..., files-1 in
 * turn by one thread (pwrite at each file's end, as a partition's leader appends), and each append
 * is then made durable by fdatasync on one of `inflight` sync threads. At most `inflight` appends
 * are unsynced at once (rawproduce's requests in flight); the writer waits for a free slot before
 * its next append. The files are removed at the end. MB/s counts bytes over the time from the first
 * append to the last sync; sync_ms is the mean fdatasync time.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rdbench.h"

#define MAX_INFLIGHT 64

/* Appends written and waiting for their sync: a ring of file descriptors, at most `inflight` long. */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t changed;
        int ring[MAX_INFLIGHT];
        int head, queued, unsynced, inflight, done;
        uint64_t sync_ns, syncs;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void *syncer(void *unused) {
        (void)unused;
        pthread_mutex_lock(&q.lock);
        for (;;) {
                while (!q.queued && !q.done) pthread_cond_wait(&q.changed, &q.lock);
                if (!q.queued) break;
                int fd = q.ring[q.head];
                q.head = (q.head + 1) % MAX_INFLIGHT;
                q.queued--;
                pthread_mutex_unlock(&q.lock);
                uint64_t t0 = now_ns();
                if (fdatasync(fd)) { perror("fdatasync"); exit(1); }
                uint64_t took = now_ns() - t0;
                pthread_mutex_lock(&q.lock);
                q.sync_ns += took;
                q.syncs++;
                q.unsynced--;
                pthread_cond_broadcast(&q.changed);
        }
        pthread_mutex_unlock(&q.lock);
        return NULL;
}

int sync_log(void) {
        const char *dir = need("dir");
        int files = (int)arg_ll("files", 4);
        long long total = arg_ll("bytes", 1ll << 30);
        size_t chunk = (size_t)arg_ll("chunk", 1000000);
        q.inflight = (int)arg_ll("inflight", 5);
        if (files < 1 || files > 1024 || q.inflight < 1 || q.inflight > MAX_INFLIGHT || chunk < 1 || total < 1) {
                fprintf(stderr, "synclog: files 1..1024, inflight 1..%d, chunk >= 1, bytes >= 1\n", MAX_INFLIGHT);
                return 2;
        }
        char *buf = malloc(chunk);
        if (!buf) { perror("malloc"); return 1; }
        for (size_t i = 0; i < chunk; i++) buf[i] = (char)(i * 2654435761u >> 13);
        int *fds = calloc((size_t)files, sizeof *fds);
        long long *ends = calloc((size_t)files, sizeof *ends);
        char path[4096];
        for (int f = 0; f < files; f++) {
                snprintf(path, sizeof path, "%s/synclog-%d.log", dir, f);
                fds[f] = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
                if (fds[f] < 0) { perror(path); exit(1); }
        }
        pthread_t threads[MAX_INFLIGHT];
        for (int i = 0; i < q.inflight; i++) pthread_create(&threads[i], NULL, syncer, NULL);

        double cpu0 = self_cpu_seconds();
        uint64_t t0 = now_ns();
        long long written = 0;
        for (int f = 0; written < total; f = (f + 1) % files) {
                pthread_mutex_lock(&q.lock);
                while (q.unsynced >= q.inflight) pthread_cond_wait(&q.changed, &q.lock);
                q.unsynced++;
                pthread_mutex_unlock(&q.lock);
                if (pwrite(fds[f], buf, chunk, ends[f]) != (ssize_t)chunk) { perror("pwrite"); exit(1); }
                ends[f] += (long long)chunk;
                written += (long long)chunk;
                pthread_mutex_lock(&q.lock);
                q.ring[(q.head + q.queued) % MAX_INFLIGHT] = fds[f];
                q.queued++;
                pthread_cond_broadcast(&q.changed);
                pthread_mutex_unlock(&q.lock);
        }
        pthread_mutex_lock(&q.lock);
        while (q.unsynced) pthread_cond_wait(&q.changed, &q.lock);
        q.done = 1;
        pthread_cond_broadcast(&q.changed);
        pthread_mutex_unlock(&q.lock);
        double secs = (now_ns() - t0) / 1e9, cpu = self_cpu_seconds() - cpu0;
        for (int i = 0; i < q.inflight; i++) pthread_join(threads[i], NULL);

        for (int f = 0; f < files; f++) {
                close(fds[f]);
                snprintf(path, sizeof path, "%s/synclog-%d.log", dir, f);
                unlink(path);
        }
        printf("RESULT mode=synclog files=%d inflight=%d chunk=%zu bytes=%lld secs=%.3f MBps=%.1f sync_ms=%.3f cpu_s_per_GB=%.3f\n",
               files, q.inflight, chunk, written, secs, written / secs / 1e6, q.syncs ? q.sync_ns / 1e6 / (double)q.syncs : 0.0,
               cpu / (written / 1e9));
        free(buf);
        free(fds);
        free(ends);
        return 0;
}

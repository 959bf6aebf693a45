#!/usr/bin/env python3
"""Summarises `perf script` output (call stacks sampled with -e cpu-clock -g, names already run
through swift-demangle) for scripts/bench-broker.sh.

Prints, for the sampled process:
  1. on-CPU time by area, from each sample's innermost frame (self time): kernel TCP, kernel copies,
     page cache, fsync/filesystem, scheduling, CRC32C, memcpy, malloc/free, ARC, locking, NIO, ...;
  2. the hottest functions by self time;
  3. the hottest Strom functions (modules Kafka*, StromConfig, strom) by inclusive time: the share of
     samples with the function anywhere on the stack.

With --syscalls FILE it instead sums a `perf trace -s` summary over the threads: wall time spent
inside each system call (fdatasync and pwrite show the disk wait; epoll_wait and futex are mostly
idle threads waiting for work), and each thread's busiest calls.

Usage: perf_summary.py STACKS.txt [--top N] [--title TEXT]
       perf_summary.py --syscalls TRACE_SUMMARY.txt
"""
import argparse
import re
import sys
from collections import Counter

# (area, regex on the innermost frame's symbol, regex on its DSO) — the first match wins.
AREAS = [
    ("kernel: fsync / ext4 / block I/O", r"ext4|jbd2|blk_|bio_|nvme|virtblk|virtqueue|vring|iowrite|fdatasync|fsync|file_write_and_wait|submit_bio|writepages|filemap_fdatawait|iomap|mpage|__es_|buffer_head", r"kernel"),
    ("kernel: copy to/from user", r"copy_user|copy_to_user|copy_from_user|_copy_to_iter|_copy_from_iter|copy_folio_from_iter|copyin|copyout|rep_movs|copy_page_to_iter|copy_page_from_iter|memcpy_orig|memcpy_erms", r"kernel"),
    ("kernel: page faults / memory (memcg, slab, page alloc)", r"page_fault|handle_mm_fault|do_anonymous_page|mmap|munmap|unmap|tlb|vma|madvise|zap_|memcg|mem_cgroup|charge|slab|kmem_cache|kfree|kmalloc|alloc_pages|__alloc_|free_pages|clear_page|pte|pmd|mas_walk|list_del|lruvec|rmqueue|get_page_from_freelist|free_unref|release_pages|folio_|percpu_counter|css_rstat", r"kernel"),
    ("kernel: page cache", r"filemap_|pagecache|page_cache|find_lock|generic_perform_write|lru_|shmem|mark_page|balance_dirty|xas_|workingset|node_dirty|dirty", r"kernel"),
    ("kernel: TCP / loopback", r"tcp_|ip_|inet_|skb|sock_|sk_|net_rx|netif|__dev_queue_xmit|loopback|napi|__napi|dev_hard_start_xmit|process_backlog|ipv4|__netif|release_sock|lock_sock|csum|softirq", r"kernel"),
    ("kernel: epoll / eventfd", r"ep_|epoll|eventfd", r"kernel"),
    ("kernel: scheduler / futex / wakeups", r"schedule|futex|wake_up|try_to_wake|finish_task_switch|enqueue_task|dequeue_task|select_task_rq|update_curr|pick_next|psi_|ttwu|hrtimer|__switch_to|plist", r"kernel"),
    ("kernel: syscall entry/exit", r"entry_SYSCALL|syscall_exit|syscall_return|do_syscall|exit_to_user|syscall_enter|fpregs|__x64_sys", r"kernel"),
    ("kernel: other (spinlocks, rcu, ...)", r".", r"kernel"),
    ("CRC32C", r"crc32c|CRC32C|hardware_raw|computeCRC|verifyCRC", r"."),
    ("decompression (lz4/zstd/zlib/snappy)", r"LZ4|lz4|ZSTD|zstd|inflate|snappy|Snappy", r"."),
    ("memcpy / memmove (user space)", r"memmove|memcpy|__memset|memset|swift_arrayInitWithCopy|swift_arrayAssign", r"."),
    ("malloc / free / Swift object alloc", r"malloc|free|_int_|tcache|swift_allocObject|swift_slowAlloc|swift_slowDealloc|swift_deallocClassInstance|swift_deallocObject|swift_allocBox|_swift_allocObject|arena|sysmalloc|realloc|swift_deallocUninitialized|__deallocating_deinit", r"."),
    ("ARC retain/release", r"swift_retain|swift_release|swift_bridgeObjectRetain|swift_bridgeObjectRelease|swift_unknownObject|_swift_release|_swift_retain|swift_isUniquelyReferenced|RefCount", r"."),
    ("Swift exclusivity / metadata / runtime", r"swift_beginAccess|swift_endAccess|AccessSet|swift_dynamicCast|swift_getGenericMetadata|swift_conformsTo|swift_checkMetadataState|swift_getTypeByMangledName|swift_getWitnessTable|swift_cvw|swift_getAssociated|__swift_instantiate|ConcurrentReadableHashMap|GenericCacheEntry|__tls_get_addr|value witness", r"."),
    ("locking (pthread / NIOLock)", r"pthread_mutex|__lll_lock|lll_unlock|NIOLock|LockOperations|os_unfair|pthread_cond|__pthread|NIOLockedValueBox|ConditionLock", r"."),
    ("Swift concurrency runtime / dispatch", r"swift_task|swift_job|swift_continuation|swift::|Concurrency\.|TaskGroup|AsyncStream|AsyncThrowingStream|CheckedContinuation|UnsafeContinuation|dispatch_|_dispatch|suspend resume partial function", r"libswift_Concurrency|libdispatch|strom"),
    ("Kafka record batches (KafkaRecords)", r"KafkaRecords\.", r"."),
    ("Kafka log (KafkaLog)", r"KafkaLog\.", r"."),
    ("Kafka protocol codecs (KafkaProtocol)", r"KafkaProtocol\.", r"."),
    ("Kafka broker handlers (KafkaBroker)", r"KafkaBroker\.|StromConfig\.|strom\.", r"."),
    ("SwiftNIO", r"NIOCore\.|NIOPosix\.|NIOConcurrencyHelpers\.|NIOAsync|_NIODataStructures|NIOEmbedded|ByteBuffer|EventLoop|c_nio", r"."),
    ("Swift stdlib (collections, strings, generics)", r"Swift\.|swift_|\$s", r"libswiftCore|strom"),
    ("Foundation", r".", r"Foundation"),
    ("libc (other)", r".", r"libc"),
    ("other", r".", r"."),
]
AREAS = [(name, re.compile(sym), re.compile(dso)) for name, sym, dso in AREAS]
STROM_MODULES = re.compile(r"\b(KafkaBroker|KafkaLog|KafkaRecords|KafkaProtocol|KafkaMetadata|KafkaController|StromConfig|strom)\.")


def parse(path):
    """Yields each sample as (thread name, [(symbol, dso), ...] innermost first)."""
    frame = re.compile(r"^\s+[0-9a-f]+\s+(.*)\s+\(([^()]*)\)\s*$")
    stack = []
    thread = "?"
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if stack:
                    yield thread, stack
                stack = []
                continue
            if line[0] not in " \t":
                head = line.split()
                thread = " ".join(head[:-1]) if len(head) > 1 and head[-1].isdigit() else line.strip()
            else:
                m = frame.match(line)
                if m:
                    sym, dso = m.group(1), m.group(2)
                    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
                    stack.append((sym, "kernel" if "kernel" in dso or dso.startswith("[") else dso))
        if stack:
            yield thread, stack


def short(sym, width=110):
    s = sym
    s = re.sub(r"^(merged |function signature specialization <[^>]*> of |generic specialization <.*?> of |specialized |partial apply forwarder for |reabstraction thunk helper from |outlined copy of |static )+", "", s)
    s = re.sub(r"\(\w*[:(].*$", "(…)", s)  # drop long argument lists
    s = re.sub(r" -> .*$", "", s)
    return s if len(s) <= width else s[: width - 1] + "…"


def kernel_entry(stack):
    """For a sample in the kernel: the system call (or fault, interrupt) it is inside."""
    for sym, dso in stack:
        if dso != "kernel":
            break
        m = re.match(r"(?:__x64_sys_|__do_sys_|ksys_)(\w+)", sym)
        if m:
            return "syscall " + m.group(1)
        if re.search(r"exc_page_fault|asm_exc_page_fault", sym):
            return "page fault"
        if re.search(r"irq|softirq|apic_timer", sym):
            last_irq = "interrupt / softirq"
    return locals().get("last_irq", "other kernel context")


def area_of(sym, dso):
    for name, sym_re, dso_re in AREAS:
        if dso_re.search(dso) and sym_re.search(sym):
            return name
    return "other"


IDLE = {"epoll_wait", "epoll_pwait", "futex", "nanosleep", "clock_nanosleep", "poll", "ppoll", "select", "pselect6"}


def syscalls(path):
    """Sums `perf trace -s` per-thread tables into one per system call."""
    thread_re = re.compile(r"^\s*(\S.*?) \((\d+)\), (\d+) events")
    row_re = re.compile(r"^\s+(\w+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)")
    calls, total, maxima = Counter(), Counter(), {}
    threads = {}
    current = None
    with open(path, errors="replace") as f:
        for line in f:
            m = thread_re.match(line)
            if m:
                current = "%s/%s" % (m.group(1), m.group(2))
                threads[current] = Counter()
                continue
            m = row_re.match(line)
            if m and current:
                name = m.group(1)
                calls[name] += int(m.group(2))
                total[name] += float(m.group(4))
                maxima[name] = max(maxima.get(name, 0.0), float(m.group(7)))
                threads[current][name] += float(m.group(4))
    if not calls:
        print("no perf trace summary in %s" % path)
        return 1
    print("## System calls of strom during a 1 KiB acks=all produce (perf trace -s, wall time inside each call)")
    print("  %-18s %9s %11s %9s %9s" % ("syscall", "calls", "total ms", "avg ms", "max ms"))
    for name, t in total.most_common():
        if t < 1 and name not in ("fdatasync", "fsync", "pwrite64"):
            continue
        print("  %-18s %9d %11.1f %9.3f %9.2f%s" % (name, calls[name], t, t / calls[name], maxima[name],
                                                    "   (idle wait)" if name in IDLE else ""))
    print("\nBusiest calls per thread, idle waits excluded (total ms):")
    for thread, c in sorted(threads.items(), key=lambda kv: -sum(v for k, v in kv[1].items() if k not in IDLE)):
        busy = [(k, v) for k, v in c.most_common() if k not in IDLE and v >= 1]
        if busy:
            print("  %-24s %s" % (thread, ", ".join("%s %.0f" % kv for kv in busy[:4])))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stacks", nargs="?")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--title", default="")
    ap.add_argument("--syscalls")
    a = ap.parse_args()
    if a.syscalls:
        return syscalls(a.syscalls)

    areas, selfs, incl, threads, entries = Counter(), Counter(), Counter(), Counter(), Counter()
    total = 0
    for thread, stack in parse(a.stacks):
        total += 1
        threads[re.sub(r"\d+", "N", thread)] += 1
        sym, dso = stack[0]
        areas[area_of(sym, dso)] += 1
        if dso == "kernel":
            entries[kernel_entry(stack)] += 1
        selfs[(short(sym), dso.rsplit("/", 1)[-1])] += 1
        seen = set()
        for s, _ in stack:
            if STROM_MODULES.search(s):
                k = short(s)
                if k not in seen:
                    seen.add(k)
                    incl[k] += 1
    if not total:
        print("no samples")
        return 1
    pct = lambda n: 100.0 * n / total
    if a.title:
        print("## " + a.title)
    print("%d samples (cpu-clock)\n" % total)
    print("On-CPU time by area (innermost frame):")
    for name, n in areas.most_common():
        if pct(n) >= 0.5:
            print("  %5.1f%%  %s" % (pct(n), name))
    print("\nKernel time by entry point:")
    for name, n in entries.most_common(8):
        if pct(n) >= 0.5:
            print("  %5.1f%%  %s" % (pct(n), name))
    print("\nBy thread (digits folded to N):")
    for name, n in threads.most_common(8):
        print("  %5.1f%%  %s" % (pct(n), name))
    print("\nTop functions, self time:")
    for (s, dso), n in selfs.most_common(a.top):
        print("  %5.1f%%  %s  [%s]" % (pct(n), s, dso))
    print("\nTop Strom functions, inclusive time (on the stack):")
    for s, n in incl.most_common(a.top):
        print("  %5.1f%%  %s" % (pct(n), s))
    return 0


if __name__ == "__main__":
    sys.exit(main())

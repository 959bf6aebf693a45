#!/usr/bin/env python3
"""The table of scripts/bench-scale.sh from its results.txt: one column per partition count.

Lines of results.txt: `n=N step=STEP key=value ...` (and `machine ...`). Memory from /proc is in kB
(KiB); MB = 10^6 bytes; per-partition figures are differences against the fresh node of the same N
divided by N.
"""
import argparse
import shlex
import subprocess
import sys


def load(path):
    rows, machine = {}, {}
    for line in open(path):
        fields = dict(kv.split("=", 1) for kv in shlex.split(line) if "=" in kv)
        if line.startswith("machine"):
            machine.update(fields)
            continue
        rows.setdefault(int(fields["n"]), {})[fields["step"]] = fields
    return rows, machine


def num(row, key, default=float("nan")):
    try:
        return float(row[key])
    except (KeyError, ValueError, TypeError):
        return default


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--command", default="scripts/bench-scale.sh")
    ap.add_argument("--strom", default="")
    ap.add_argument("--records", type=int, default=0)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--per-topic", type=int, default=1000)
    ap.add_argument("--baseline", type=int, default=10)
    a = ap.parse_args()
    rows, machine = load(a.results)
    ns = sorted(rows)
    for n in ns:
        rows[n]["_n"] = n
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    print("\nStrom at scale: one node, N partitions (topics of %d), %d records of %d B per produce phase" % (
        a.per_topic, a.records, a.size))
    print("  command: %s   (script commit %s, strom %s)" % (a.command, commit, a.strom))
    print("  machine: %s cores, %s GiB, open files limit %s; load average %s at the start, %s at the end" % (
        machine.get("cores"), machine.get("mem_gib"), machine.get("nofile"), machine.get("load_start"), machine.get("load_end")))

    table = []

    def row(label, fn, fmt="%.1f"):
        vals = []
        for n in ns:
            try:
                v = fn(rows[n])
                vals.append(v if isinstance(v, str) else fmt % v)
            except (KeyError, ZeroDivisionError, ValueError, TypeError):
                vals.append("-")
        table.append((label, vals))

    def section(title):
        table.append((title, None))

    mib = lambda kb: kb / 1024.0
    section("create")
    row("CreateTopics, all partitions (s)", lambda r: num(r["create"], "secs"), "%.1f")
    row("  partitions created per s", lambda r: num(r["create"], "partitions_per_s"), "%.0f")
    row("  first / median / last request (s)", lambda r: "%.2f / %.2f / %.2f" % (
        num(r["create"], "first_req_s"), num(r["create"], "median_req_s"), num(r["create"], "last_req_s")))
    row("  until Metadata lists all with leaders (s)", lambda r: num(r["create"], "all_s"), "%.1f")
    row("  broker CPU, fresh -> created (s)", lambda r: num(r["create"], "cpu_s") - num(r["fresh"], "cpu_s"), "%.1f")

    section("Metadata v12 (p50 / p99 ms, %s requests)" % rows[ns[0]].get("metadata", {}).get("repeat", "?"))
    for step, label in (("metadata", "after create"), ("metadata-after-produce", "after produce"),
                        ("metadata-after-restart", "after restart")):
        row("all topics, %s" % label, lambda r, s=step: "%.1f / %.1f" % (num(r[s], "all_p50_ms"), num(r[s], "all_p99_ms")))
    row("  all-topics response (MB) / partitions", lambda r: "%.2f / %d" % (
        num(r["metadata"], "all_bytes") / 1e6, num(r["metadata"], "all_partitions")))
    for step, label in (("metadata", "after create"), ("metadata-after-restart", "after restart")):
        row("one topic, %s" % label, lambda r, s=step: "%.2f / %.2f" % (num(r[s], "one_p50_ms"), num(r[s], "one_p99_ms")))
    row("  one-topic response (KB)", lambda r: num(r["metadata"], "one_bytes") / 1e3, "%.1f")

    for acks in ("all", "1"):
        section("produce, acks=%s, %d B, round robin" % (acks, a.size))
        many, base = "produce-%s-many" % acks, "produce-%s-base" % acks
        row("over all N partitions: records/s", lambda r: num(r[many], "records_per_s"), "%.0f")
        row("  MB/s", lambda r: num(r[many], "MBps"), "%.1f")
        row("over %d partitions (baseline): MB/s" % a.baseline, lambda r: num(r[base], "MBps"), "%.1f")
        row("  N / baseline", lambda r: num(r[many], "MBps") / num(r[base], "MBps"), "%.3f")
        row("  broker CPU µs per record, N / baseline", lambda r: "%.0f / %.0f" % (
            num(r[many], "broker_cpu_s") / num(r[many], "delivered") * 1e6, num(r[base], "broker_cpu_s") / num(r[base], "delivered") * 1e6))
        row("  client CPU s, N / baseline", lambda r: "%.1f / %.1f" % (num(r[many], "client_cpu_s"), num(r[base], "client_cpu_s")))
        if acks == "all":
            again = "produce-all-many-again"
            row("again, after the acks=1 phase: records/s", lambda r: num(r[again], "records_per_s"), "%.0f")
            row("  MB/s; N / baseline", lambda r: "%.1f; %.3f" % (num(r[again], "MBps"), num(r[again], "MBps") / num(r[base], "MBps")))
            row("  broker / client CPU µs per record", lambda r: "%.0f / %.0f" % (
                num(r[again], "broker_cpu_s") / num(r[again], "delivered") * 1e6, num(r[again], "client_cpu_s") / num(r[again], "delivered") * 1e6))

    for acks in ("-1", "1"):
        section("raw Produce v8, acks=%s, ~1 MB requests, one at a time" % ("all" if acks == "-1" else acks))
        many, base = "wire-%s-many" % acks, "wire-%s-base" % acks
        row("1,000 partitions x 1 record: ms per request p50 / p99", lambda r: "%.1f / %.1f" % (num(r[many], "req_p50_ms"), num(r[many], "req_p99_ms")))
        row("  MB/s (in requests); µs per partition", lambda r: "%.1f; %.0f" % (num(r[many], "MBps"), num(r[many], "us_per_partition")))
        row("%d partitions x %d records: ms p50 / p99" % (a.baseline, 1000 // a.baseline), lambda r: "%.1f / %.1f" % (
            num(r[base], "req_p50_ms"), num(r[base], "req_p99_ms")))
        row("  MB/s (in requests)", lambda r: num(r[base], "MBps"), "%.1f")
        row("  many / baseline, MB/s", lambda r: num(r[many], "MBps") / num(r[base], "MBps"), "%.3f")
        row("  broker CPU µs per partition-batch, many", lambda r: num(r[many], "broker_cpu_s") / num(r[many], "partitions") * 1e6, "%.0f")

    section("restart (clean: SIGTERM, then start)")
    row("shutdown, SIGTERM to exit (s)", lambda r: num(r["restart"], "stop_s"), "%.1f")
    row("start-up to /health/ready = 200 (s)", lambda r: num(r["restart"], "ready_s"), "%.1f")
    row("  of which opening partition logs (s)", lambda r: num(r["restart"], "open_logs_ms") / 1000, "%.1f")
    row("  per partition (ms)", lambda r: num(r["restart"], "ready_s") * 1000 / r["_n"], "%.2f")
    row("  broker CPU during start-up (s)", lambda r: num(r["restart"], "cpu_s"), "%.1f")
    row("  under perf record / perf trace (s)", lambda r: "%.1f / %.1f" % (num(r["restart-profiled"], "ready_s"), num(r["restart-traced"], "ready_s")))
    row("data dir (MB) / files per partition", lambda r: "%.0f / %.1f" % (
        num(r["restart"], "data_kib") * 1024 / 1e6, num(r["restart"], "data_files") / r["_n"]))

    section("memory (MiB; VmRSS, VmHWM)")
    row("fresh node, RSS", lambda r: mib(num(r["fresh"], "VmRSS")), "%.0f")
    row("after create, RSS / HWM", lambda r: "%.0f / %.0f" % (mib(num(r["create"], "VmRSS")), mib(num(r["create"], "VmHWM"))))
    row("after produce, RSS / HWM", lambda r: "%.0f / %.0f" % (mib(num(r["after-produce"], "VmRSS")), mib(num(r["after-produce"], "VmHWM"))))
    row("after restart, RSS / HWM", lambda r: "%.0f / %.0f" % (mib(num(r["restart"], "VmRSS")), mib(num(r["restart"], "VmHWM"))))
    row("  anonymous / file-mapped, after produce", lambda r: "%.0f / %.0f" % (
        mib(num(r["after-produce"], "Pss_Anon")), mib(num(r["after-produce"], "Pss_File"))))
    row("  anonymous / file-mapped, after restart", lambda r: "%.0f / %.0f" % (
        mib(num(r["restart"], "Pss_Anon")), mib(num(r["restart"], "Pss_File"))))
    row("RSS per partition (KiB): created", lambda r: (num(r["create"], "VmRSS") - num(r["fresh"], "VmRSS")) / r["_n"], "%.1f")
    row("  after produce", lambda r: (num(r["after-produce"], "VmRSS") - num(r["fresh"], "VmRSS")) / r["_n"], "%.1f")
    row("  after restart", lambda r: (num(r["restart"], "VmRSS") - num(r["fresh"], "VmRSS")) / r["_n"], "%.1f")

    section("descriptors, threads, mappings")
    row("open fds: fresh / created / produced / restarted", lambda r: "%d / %d / %d / %d" % (
        num(r["fresh"], "fds"), num(r["create"], "fds"), num(r["after-produce"], "fds"), num(r["restart"], "fds")))
    row("threads: fresh / produced / restarted", lambda r: "%d / %d / %d" % (
        num(r["fresh"], "Threads"), num(r["after-produce"], "Threads"), num(r["restart"], "Threads")))
    row("memory mappings (of index files)", lambda r: "%d (%d)" % (num(r["after-produce"], "maps"), num(r["after-produce"], "index_maps")))

    width = max(len(l) for l, v in table if v is not None) + 2
    print()
    print("%-*s" % (width, "") + "".join("%26s" % ("N = {:,}".format(n)) for n in ns))
    for label, vals in table:
        if vals is None:
            print(label)
            continue
        print("%-*s" % (width, "  " + label) + "".join("%26s" % v for v in vals))
    print("""
  CreateTopics: %d partitions per topic, requests of up to 5,000 partitions (confluent-kafka admin client).
  Metadata: raw v12 requests on one connection, after one warm-up. Produce: one confluent-kafka producer,
  linger.ms=5, max.in.flight=2, no idempotence, record i to partition i mod N; MB/s = value bytes /
  (last delivery report - first produce()). Per-partition memory = (VmRSS - the fresh node's) / N.""" % a.per_topic)


if __name__ == "__main__":
    main()

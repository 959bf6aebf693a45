#!/usr/bin/env python3
"""Prints the final table of scripts/bench-broker.sh from its results file.

Each line of the results file is `key=value` pairs separated by spaces; `phase=` names the row.
Rows written by the script: machine facts (phase=dd-fdatasync, dd-dsync, loopback) and one per
broker phase with rdbench's RESULT fields plus broker_cpu_s (utime+stime of the broker process
over the phase, from /proc/<pid>/stat). MB = 10^6 bytes, GB = 10^9 bytes.

Usage: report.py RESULTS [--command TEXT]
"""
import argparse
import sys

from results import load, num, verdict

LABELS = {
    "produce-1k-acks1": "produce 1 KiB, acks=1",
    "produce-1k-acksall": "produce 1 KiB, acks=all idempotent",
    "produce-1k-acksall-raw": "rawproduce 1 KiB, acks=all idempotent",
    "produce-1k-acks1-raw": "rawproduce 1 KiB, acks=1",
    "produce-1k-txn1000": "produce 1 KiB, txn, commit/1000 rec",
    "produce-1k-txn100ms": "produce 1 KiB, txn, commit/100 ms",
    "produce-100b-acks1": "produce 100 B, acks=1",
    "produce-100b-acksall": "produce 100 B, acks=all idempotent",
    "consume-1k": "consume 1 KiB (assign, from start)",
    "consume-100b": "consume 100 B (assign, from start)",
    "latency-1k-acks1": "latency 1 KiB, acks=1",
    "latency-1k-acksall": "latency 1 KiB, acks=all idempotent",
}
SHORT = {
    "produce-1k-acks1": "1 KiB produce acks=1", "produce-1k-acksall": "1 KiB produce acks=all",
    "produce-1k-acksall-raw": "1 KiB rawproduce acks=all",
    "produce-100b-acks1": "100 B produce acks=1", "produce-100b-acksall": "100 B produce acks=all",
    "consume-1k": "1 KiB consume", "consume-100b": "100 B consume",
}
TARGET_RATIO, TARGET_CPU_GB, TARGET_US_REC = 0.8, 1.2, 1.0
# dd at the start and at the end further apart than this factor: the disk's rate drifted, and the
# produce / dd ratio decides nothing.
DD_DRIFT = 1.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--command", default="")
    a = ap.parse_args()
    rows = load(a.results)
    out = []
    p = out.append

    p("Strom broker benchmark" + (" — " + rows["info"].get("when", "").replace("_", " ") if "info" in rows else ""))
    if "info" in rows:
        i = rows["info"]
        p("  commit %s, %s cores, kernel %s, librdkafka %s (rdbench, max.in.flight=%s), strom built %s"
          % (i.get("commit", "?"), i.get("cores", "?"), i.get("kernel", "?"), i.get("librdkafka", "?"),
             i.get("max_in_flight", "?"), i.get("strom", "?").replace("_", " ")))
    if a.command:
        p("  command: " + a.command)
    p("")
    p("Machine limits (same run)")
    dd = rows.get("dd-fdatasync", {})
    dd_end = rows.get("dd-fdatasync-end", {})
    dsync = rows.get("dd-dsync", {})
    lo = rows.get("loopback", {})
    dd_rates = [num(r, "MBps") for r in (dd, dd_end) if r and num(r, "MBps")]
    dd_mean = sum(dd_rates) / len(dd_rates) if dd_rates else 0
    if dd:
        p("  disk write, dd bs=1M count=%s conv=fdatasync   %8.0f MB/s%s" % (
            dd.get("count", "?"), num(dd, "MBps"),
            " at the start, %.0f at the end (mean %.0f)" % (num(dd_end, "MBps"), dd_mean) if dd_end else ""))
    if dsync:
        p("  disk write, dd bs=1M count=%s oflag=dsync      %8.0f MB/s" % (dsync.get("count", "?"), num(dsync, "MBps")))
    pcs = [rows[k] for k in ("pagecache-1", "pagecache-2") if k in rows]
    if pcs:
        p("  page-cache write CPU, 1 MiB pwrites, no sync    %s core-s/GB (two runs, free memory; a floor for appends)"
          % " / ".join("%.2f" % num(r, "cpu_s_per_GB") for r in pcs))
    if lo:
        p("  loopback TCP 127.0.0.1, %.1f GB in 256 KiB writes  %6.2f GB/s (receiver %.2f, sender %.2f core-s/GB)" % (
            num(lo, "bytes") / 1e9, num(lo, "GBps"), num(lo, "recv_cpu_s_per_GB"), num(lo, "send_cpu_s_per_GB")))
    if "idle" in rows:
        p("  strom idle (no clients), 5 s                   %.1f%% of a core" % (100 * num(rows["idle"], "broker_cores")))
    p("")

    hdr = "%-36s %9s %6s %5s %7s %9s %7s %7s %8s %6s %7s %6s %5s" % (
        "phase", "records", "MB", "secs", "MB/s", "records/s", "KB/req", "brk CPU", "CPU s/GB", "µs/rec", "cli CPU", "others", "free")
    p(hdr)
    p("-" * len(hdr))
    for key in ["produce-1k-acks1", "produce-1k-acksall", "produce-1k-acksall-raw", "produce-1k-acks1-raw", "produce-1k-txn1000", "produce-1k-txn100ms",
                "produce-100b-acks1", "produce-100b-acksall", "consume-1k", "consume-100b"]:
        r = rows.get(key)
        if not r:
            continue
        recs = num(r, "delivered", num(r, "records"))
        b = num(r, "bytes")
        cpu = num(r, "broker_cpu_s")
        others = (num(r, "machine_cpu_s") - cpu - num(r, "client_cpu_s")) / num(r, "secs") if num(r, "secs") else 0
        reqs = num(r, "requests", -1)
        p("%-36s %9d %6.0f %5.1f %7.1f %9.0f %7s %7.2f %8.2f %6.2f %7.2f %6.2f %5.1f" % (
            LABELS[key], recs, b / 1e6, num(r, "secs"), num(r, "MBps"), num(r, "recs_per_s"),
            "%.0f" % (b / reqs / 1e3) if reqs > 0 else "?", cpu,
            cpu / (b / 1e9) if b else 0, cpu / recs * 1e6 if recs else 0, num(r, "client_cpu_s"), max(0.0, others),
            num(r, "free_mb") / 1024))
    p("  MB/s counts record values only. KB/req = value bytes per request the client sent (librdkafka's `tx`")
    p("  statistic, which also counts its few metadata requests; rawproduce counts its own). rawproduce = bench/rawproduce.c,")
    p("  one connection with 5 requests of ~1 MB in flight and almost no client CPU: the broker's own limit. brk CPU = broker utime+stime over the phase,")
    p("  core-seconds; cli CPU = the rdbench client's own (getrusage); both share the machine's 2 cores.")
    p("  others = mean cores busy with anything else (other processes, kernel writeback): well above 0 means")
    p("  the run was disturbed. free = GiB of free memory at the phase's start: with little free, every")
    p("  page-cache page written must first be reclaimed, which costs this VM about 1 core-s/GB instead of 0.2.")
    p("")
    lat = [k for k in ("latency-1k-acks1", "latency-1k-acksall") if k in rows]
    if lat:
        p("%-36s %7s %7s %7s %7s %7s %8s %7s %9s %7s %6s" % ("produce latency (produce() -> DR cb)", "rate/s", "msgs", "p50 ms",
                                                              "p90 ms", "p99 ms", "p99.9 ms", "max ms", "requests", "µs/req", "others"))
        for key in lat:
            r = rows[key]
            reqs = num(r, "requests", -1)
            others = (num(r, "machine_cpu_s") - num(r, "broker_cpu_s") - num(r, "client_cpu_s")) / num(r, "secs") if num(r, "secs") else 0
            p("%-36s %7.0f %7d %7.2f %7.2f %7.2f %8.2f %7.1f %9s %7s %6.2f" % (
                LABELS[key], num(r, "rate"), num(r, "lat_n"), num(r, "p50_ms"), num(r, "p90_ms"), num(r, "p99_ms"),
                num(r, "p999_ms"), num(r, "max_ms"), "%d" % reqs if reqs > 0 else "?",
                "%.0f" % (num(r, "broker_cpu_s") / reqs * 1e6) if reqs > 0 else "?", max(0.0, others)))
        p("  (per message: from just before rd_kafka_producev() to its delivery-report callback; linger.ms=%s,"
          % rows[lat[0]].get("linger_ms", "?"))
        p("   %s-byte values at a fixed rate, 4 partitions, one producer; µs/req = broker CPU per client request)"
          % rows[lat[0]].get("size", "?"))
        p("")

    txn = [k for k in ("produce-1k-txn1000", "produce-1k-txn100ms") if k in rows]
    if txn and "produce-1k-acksall" in rows:
        base = num(rows["produce-1k-acksall"], "MBps")
        p("Transactions (same run; each commit waits for its markers; baseline: idempotent acks=all, %.1f MB/s)" % base)
        for key in txn:
            r = rows[key]
            n = num(r, "transactions")
            p("  %-36s %7.1f MB/s  %5.2f x idempotent  %6d transactions, %8.1f records each" % (
                LABELS[key], num(r, "MBps"), num(r, "MBps") / base if base else 0, n, num(r, "delivered") / n if n else 0))
        p("")

    p("Targets")
    # Two dd runs minutes apart that disagree by half say the disk (or the VM) drifted: a ratio against
    # their mean decides nothing. scripts/bench-produce-ratio.sh takes dd around every produce phase.
    drifted = len(dd_rates) == 2 and max(dd_rates) > DD_DRIFT * min(dd_rates)
    for key, who in (("produce-1k-acksall-raw", "rawproduce"), ("produce-1k-acksall", "librdkafka")):
        pa = rows.get(key)
        if pa and dd_mean:
            ratio = num(pa, "MBps") / dd_mean
            judged = ("inconclusive: dd drifted %.0f -> %.0f MB/s; use scripts/bench-produce-ratio.sh" % tuple(dd_rates)
                      if drifted else verdict(ratio >= TARGET_RATIO))
            p("  1 KiB acks=all produce / dd conv=fdatasync, %-10s %6.2f  (%.1f / %.0f MB/s; target >= %.1f)  %s"
              % (who, ratio, num(pa, "MBps"), dd_mean, TARGET_RATIO, judged))
    pa = rows.get("produce-1k-acksall")
    if pa and dsync and num(dsync, "MBps"):
        p("  1 KiB acks=all produce / dd oflag=dsync, librdkafka   %6.2f  (for reference)" % (num(pa, "MBps") / num(dsync, "MBps")))
    for key in ("produce-1k-acksall", "produce-1k-acksall-raw", "produce-1k-acks1", "consume-1k"):
        r = rows.get(key)
        if r and num(r, "bytes"):
            v = num(r, "broker_cpu_s") / (num(r, "bytes") / 1e9)
            p("  broker CPU per GB, %-24s %6.2f core-s/GB (target <= %.1f)  %s" % (SHORT[key], v, TARGET_CPU_GB, verdict(v <= TARGET_CPU_GB)))
    for key in ("produce-100b-acksall", "produce-100b-acks1", "consume-100b"):
        r = rows.get(key)
        recs = num(r, "delivered", num(r, "records")) if r else 0
        if recs:
            v = num(r, "broker_cpu_s") / recs * 1e6
            p("  broker CPU per record, %-20s %6.2f µs         (target <= %.1f)  %s" % (SHORT[key], v, TARGET_US_REC, verdict(v <= TARGET_US_REC)))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Prints the table of scripts/bench-replication.sh from its results file (lines of `key=value`
pairs, `phase=` naming the row: rdbench's RESULT fields plus broker_cpu_s, the utime+stime of every
broker process over the phase; the failover rows of bench/replication_failover.py). MB = 10^6 bytes,
GB = 10^9 bytes.

Usage: report_replication.py RESULTS [--command TEXT]
"""
import argparse
import sys

from results import load, num, verdict

TARGET_RATIO, TARGET_CPU_GB = 0.8, 1.2
SETUPS = [
    ("single", "single node (RF 1)"),
    ("baseline", "single node, baseline binary"),
    ("rf3", "cluster, RF 3, min.insync.replicas=2"),
    ("rf1", "cluster, RF 1"),
]
KINDS = {
    "leader": "partition leader (not the active controller)",
    "controller": "partition leader + active controller",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--command", default="")
    a = ap.parse_args()
    rows = load(a.results)
    out = []
    p = out.append
    info = rows.get("info", {})
    end = rows.get("dd-end", {})

    p("Strom replication benchmark — " + info.get("when", "?"))
    p("  commit %s, %s cores, kernel %s, librdkafka %s (rdbench, max.in.flight=%s), strom built %s%s"
      % (info.get("commit", "?"), info.get("cores", "?"), info.get("kernel", "?"), info.get("librdkafka", "?"),
         info.get("max_in_flight", "?"), info.get("strom", "?").replace("_", " "),
         ", baseline " + info["baseline"].replace("_", " ") if info.get("baseline") else ""))
    p("  load average (1/5/15 min) at the start %s, at the end %s" % (info.get("load_start", "?"), end.get("load_end", "?")))
    if a.command:
        p("  command: " + a.command)
    p("")
    dd = {k: num(rows.get("dd-" + k, {}), "MBps") for k in ("start", "mid", "end")}
    p("Disk (same run): dd bs=1M count=%s conv=fdatasync  %.0f MB/s at the start, %.0f after the single-node phases, %.0f at the end"
      % (rows.get("dd-start", {}).get("count", "?"), dd["start"], dd["mid"], dd["end"]))
    dsync = num(rows.get("dd-dsync", {}), "MBps")
    if dsync:
        p("                   dd bs=1M count=%s oflag=dsync (every 1 MiB synced)  %.0f MB/s"
          % (rows["dd-dsync"].get("count", "?"), dsync))
    p("")

    p("1 KiB idempotent acks=all produce, one rdbench producer (librdkafka), value bytes only")
    hdr = "%-40s %5s %9s %6s %5s %7s %9s %7s %8s %7s %6s %5s %4s %6s" % (
        "setup", "parts", "records", "MB", "secs", "MB/s", "records/s", "brk CPU", "CPU s/GB", "cli CPU", "others", "free",
        "ISR±", "/ dd")
    p(hdr)
    p("-" * len(hdr))
    single_dd = [v for v in (dd["start"], dd["mid"]) if v]
    single_dd = sum(single_dd) / len(single_dd) if single_dd else 0
    for key, label in SETUPS:
        r = rows.get(key + "-tput")
        if not r:
            continue
        b, cpu, secs = num(r, "bytes"), num(r, "broker_cpu_s"), num(r, "secs")
        others = (num(r, "machine_cpu_s") - cpu - num(r, "client_cpu_s")) / secs if secs else 0
        ddref = single_dd if key in ("single", "baseline") else (dd["mid"] + dd["end"]) / 2 if dd["end"] else dd["mid"]
        p("%-40s %5s %9d %6.0f %5.1f %7.1f %9.0f %7.2f %8.2f %7.2f %6.2f %5s %4s %6.2f" % (
            label, info.get("cluster_partitions" if key.startswith("rf") else "partitions", "?"),
            num(r, "delivered"), b / 1e6, secs, num(r, "MBps"), num(r, "recs_per_s"), cpu, cpu / (b / 1e9) if b else 0,
            num(r, "client_cpu_s"), max(0.0, others),
            "%.1f" % (num(r, "free_mb") / 1024) if "free_mb" in r else "?",
            r.get("isr_changes", "?") if key.startswith("rf") else "-",
            num(r, "MBps") / ddref if ddref else 0))
    p("  brk CPU = utime+stime of every broker process (three on the cluster) over the phase, core-seconds;")
    p("  CPU s/GB per GB produced (on the cluster it includes the followers' fetching and appending). others =")
    p("  mean cores busy with anything else (other people's work on this shared machine). free = GiB of free")
    p("  memory at the phase's start (with little free, page-cache writes first reclaim). ISR± = ISR changes")
    p("  the leaders proposed during the phase (a follower behind for replica.lag.time.max.ms leaves the ISR and")
    p("  acks=all then waits for fewer copies; 0 means every record reached all three). / dd = MB/s over dd")
    p("  conv=fdatasync (single node: mean of the two dd runs around it; cluster: of the two after it).")
    p("")

    lat = [(k, l) for k, l in SETUPS if k + "-lat" in rows]
    if lat:
        p("Produce latency, 1 KiB idempotent acks=all at %s msgs/s, linger.ms=1 (produce() -> delivery report)"
          % info.get("lat_rate", "?"))
        hdr = "%-40s %7s %7s %7s %7s %8s %7s %7s %8s" % ("setup", "msgs", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
                                                        "brk CPU", "µs/req")
        p(hdr)
        p("-" * len(hdr))
        for key, label in lat:
            r = rows[key + "-lat"]
            reqs = num(r, "requests", -1)
            p("%-40s %7d %7.2f %7.2f %7.2f %8.2f %7.1f %7.2f %8s" % (
                label, num(r, "lat_n"), num(r, "p50_ms"), num(r, "p90_ms"), num(r, "p99_ms"), num(r, "p999_ms"),
                num(r, "max_ms"), num(r, "broker_cpu_s"),
                "%.0f" % (num(r, "broker_cpu_s") / reqs * 1e6) if reqs > 0 else "?"))
        p("  µs/req = broker CPU (all brokers) per produce request the client sent (librdkafka's `tx`).")
        p("")

    kinds = [k for k in KINDS if "failover-" + k in rows]
    if kinds:
        first = rows["failover-" + kinds[0]]
        p("Leader failover: kill -9 of a partition leader under an idempotent acks=all producer (1 KiB, %s msgs/s over"
          % first.get("rate", "?"))
        p("%s partitions, RF 3, min.insync.replicas=2); seconds after the kill, median (min-max) of %s runs each"
          % (info.get("cluster_partitions", "?"), first.get("runs", "?")))
        cols = [("ack_s", "acked again"), ("stall_s", "its stall"), ("others_stall_s", "others' stall"),
                ("fenced_s", "fenced"), ("elected_s", "quorum elected"), ("visible_s", "new leader seen"),
                ("isr_shrunk_s", "ISR shrunk")]
        for kind in kinds:
            r = rows["failover-" + kind]
            p("  victim: %s" % KINDS[kind])
            for key, label in cols:
                med = r.get(key, "none")
                if med in ("none", "-") and key == "elected_s":
                    continue
                p("    %-16s %6s s  (%s)" % (label, med, r.get(key.replace("_s", "_range"), "?")))
            p("    failed deliveries: %s" % r.get("failed", "?"))
        p("  acked again = the producer's first acknowledged record on the killed leader's partition, from its new")
        p("  leader; its stall / others' stall = the longest gap between acknowledgements on that partition / on the")
        p("  partitions the victim only followed (acks=all waits for it until it leaves their ISR); fenced = the")
        p("  controller's log line fencing the victim (broker.session.timeout.ms); quorum elected = a survivor's log")
        p("  line taking the metadata quorum; new leader seen / ISR shrunk = a survivor's Metadata answer (polled).")
        p("  Per run: %s" % "; ".join(
            "%s %s" % (k.split("-")[1][0] + k.split("-")[2], v["ack_s"]) for k, v in rows.items()
            if k.startswith("failover-") and k.count("-") == 2))
        p("")

    p("Targets")
    for key, label in (("single", "HEAD"), ("baseline", "baseline")):
        r = rows.get(key + "-tput")
        if r and single_dd:
            ratio = num(r, "MBps") / single_dd
            p("  single node 1 KiB acks=all / dd conv=fdatasync (%s)  %5.2f  (%.1f / %.0f MB/s; target >= %.1f)  %s"
              % (label, ratio, num(r, "MBps"), single_dd, TARGET_RATIO, verdict(ratio >= TARGET_RATIO)))
    for key, label in (("single", "single node, HEAD"), ("baseline", "single node, baseline")):
        r = rows.get(key + "-tput")
        if r and num(r, "bytes"):
            v = num(r, "broker_cpu_s") / (num(r, "bytes") / 1e9)
            p("  broker CPU per GB, 1 KiB acks=all (%s)  %5.2f core-s/GB (target <= %.1f)  %s"
              % (label, v, TARGET_CPU_GB, verdict(v <= TARGET_CPU_GB)))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

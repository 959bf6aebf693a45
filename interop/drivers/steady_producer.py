#!/usr/bin/env python3
"""A confluent-kafka producer (acks=all, idempotent) that writes a known sequence at a steady
rate until told to stop, for the group tests: record i has key b"k%06d" % i and value
b"value-%06d" % i and goes to partition i % --partitions. Every delivery report is appended to
--acks-file as it arrives ("ok KEY PARTITION OFFSET" or "err KEY PARTITION ERROR..."). When
--stop-file appears it stops producing, flushes, and writes a JSON summary to --summary-file.
"""
import argparse
import json
import os
import sys
import time

from confluent_kafka import Producer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--partitions", type=int, required=True)
    ap.add_argument("--rate", type=float, default=100, help="records per second")
    ap.add_argument("--acks-file", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--summary-file", required=True)
    ap.add_argument("--timeout", type=float, default=240, help="stop producing after this long")
    a = ap.parse_args()

    state = {"acked": 0, "failed": 0, "client_errors": []}

    def on_error(err):
        if len(state["client_errors"]) < 20:
            state["client_errors"].append(str(err))

    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 5, "error_cb": on_error})
    acks = open(a.acks_file, "w", buffering=1)

    def dr(err, msg):
        key = msg.key().decode()
        if err is None:
            state["acked"] += 1
            acks.write("ok %s %d %d\n" % (key, msg.partition(), msg.offset()))
        else:
            state["failed"] += 1
            acks.write("err %s %d %s\n" % (key, msg.partition(), str(err).replace("\n", " ")))

    start = time.time()
    produced = 0
    while not os.path.exists(a.stop_file) and time.time() - start < a.timeout:
        due = int((time.time() - start) * a.rate) + 1
        while produced < due:
            p.produce(a.topic, key=b"k%06d" % produced, value=b"value-%06d" % produced,
                      partition=produced % a.partitions, on_delivery=dr)
            produced += 1
        p.poll(min(0.05, 1.0 / a.rate))
    unflushed = p.flush(60)
    acks.close()
    summary = {"produced": produced, "acked": state["acked"], "failed": state["failed"], "unflushed": unflushed,
               "client_errors": state["client_errors"], "seconds": round(time.time() - start, 1),
               "stopped_by": "stop file" if os.path.exists(a.stop_file) else "timeout"}
    with open(a.summary_file, "w") as f:
        json.dump(summary, f)
    print(json.dumps(summary))
    return 0 if not state["failed"] and not unflushed else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""An idempotent, acks=all producer that runs until told to stop, for the kill -9 and fault
tests: confluent-kafka (--client confluent, the default) or kafka-python 3.x (--client
kafka-python); sarama's is `sarama-interop durability`, with the same flags and files. It writes
every delivery report to --acks-file as it arrives, one line each:

    ok KEY PARTITION OFFSET
    err KEY PARTITION ERROR...

Record i has key b"%s%09d" % (--key-prefix, i) (default prefix "k"), goes to partition
i % --partitions, and its value is
durability_value(key, --value-size), so a reader can check it from the key alone. At most
--max-in-flight records are unacknowledged at any time. When --stop-file appears it stops
producing, flushes, and writes a JSON summary to --summary-file. Every 10 records it appends
the number produced so far to --progress-file, so a test can tell how many were in flight.
"""
import argparse
import json
import os
import sys
import threading
import time


def durability_value(key, size):
    unit = key + b"|"
    return (unit * (size // len(unit) + 1))[:size]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--max-in-flight", type=int, default=2000)
    ap.add_argument("--acks-file", required=True)
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--summary-file", required=True)
    ap.add_argument("--progress-file", required=True)
    ap.add_argument("--codec", default="none")
    ap.add_argument("--timeout", type=float, default=240, help="give up producing after this long")
    ap.add_argument("--flush-timeout", type=float, default=120)
    ap.add_argument("--client", choices=("confluent", "kafka-python"), default="confluent")
    ap.add_argument("--key-prefix", default="k")
    a = ap.parse_args()
    return (run_confluent if a.client == "confluent" else run_kafka_python)(a)


def write_summary(a, state, produced, unflushed, start):
    summary = {"produced": produced, "acked": state["acked"], "failed": state["failed"], "unflushed": unflushed,
               "errors": state["errors"], "client_errors": state["client_errors"], "fatal": state["fatal"],
               "seconds": round(time.time() - start, 1),
               "stopped_by": "stop file" if os.path.exists(a.stop_file) else "timeout"}
    with open(a.summary_file, "w") as f:
        json.dump(summary, f)
    print(json.dumps(summary))
    return 0


def run_confluent(a):
    from confluent_kafka import KafkaException, Producer

    state = {"acked": 0, "failed": 0, "errors": [], "client_errors": [], "fatal": None}

    def on_error(err):  # client-level errors: expected while the broker is down, unless fatal
        if err.fatal():
            state["fatal"] = str(err)
        if len(state["client_errors"]) < 20:
            state["client_errors"].append(str(err))

    p = Producer({"bootstrap.servers": a.bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 5, "compression.type": a.codec, "message.timeout.ms": 150000,
                  "reconnect.backoff.max.ms": 500, "error_cb": on_error})
    acks = open(a.acks_file, "w", buffering=1)
    progress = open(a.progress_file, "w", buffering=1)

    def dr(err, msg):
        key = msg.key().decode()
        if err is None:
            state["acked"] += 1
            acks.write("ok %s %d %d\n" % (key, msg.partition(), msg.offset()))
        else:
            state["failed"] += 1
            if len(state["errors"]) < 20:
                state["errors"].append("%s: %s" % (key, err))
            acks.write("err %s %d %s\n" % (key, msg.partition(), str(err).replace("\n", " ")))

    start = time.time()
    produced = 0
    while not os.path.exists(a.stop_file) and time.time() - start < a.timeout:
        if produced - state["acked"] - state["failed"] >= a.max_in_flight:
            p.poll(0.05)
            continue
        key = b"%s%09d" % (a.key_prefix.encode(), produced)
        try:
            p.produce(a.topic, key=key, value=durability_value(key, a.value_size),
                      partition=produced % a.partitions, on_delivery=dr)
        except BufferError:
            p.poll(0.05)
            continue
        except KafkaException as e:  # a fatal idempotence error, for instance
            state["fatal"] = str(e)
            break
        produced += 1
        if produced % 10 == 0:
            progress.write("%d\n" % produced)
        p.poll(0)
        if state["fatal"]:
            break
    unflushed = p.flush(a.flush_timeout)
    acks.close()
    progress.close()
    return write_summary(a, state, produced, unflushed, start)


def run_kafka_python(a):
    """kafka-python 3.x: futures whose callbacks run on the client's I/O thread, hence the lock."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    state = {"acked": 0, "failed": 0, "errors": [], "client_errors": [], "fatal": None}
    lock = threading.Lock()
    p = KafkaProducer(bootstrap_servers=a.bootstrap.split(","), acks="all", enable_idempotence=True,
                      linger_ms=5, compression_type=None if a.codec == "none" else a.codec,
                      delivery_timeout_ms=150000, request_timeout_ms=30000, retry_backoff_ms=100,
                      reconnect_backoff_max_ms=500, max_block_ms=150000)
    acks = open(a.acks_file, "w", buffering=1)
    progress = open(a.progress_file, "w", buffering=1)

    def on_ok(key, md):
        with lock:
            state["acked"] += 1
            acks.write("ok %s %d %d\n" % (key, md.partition, md.offset))

    def on_err(key, partition, e):
        with lock:
            state["failed"] += 1
            if len(state["errors"]) < 20:
                state["errors"].append("%s: %s" % (key, e))
            acks.write("err %s %d %s: %s\n" % (key, partition, type(e).__name__, str(e).replace("\n", " ")))

    start = time.time()
    produced = 0
    while not os.path.exists(a.stop_file) and time.time() - start < a.timeout:
        with lock:
            outstanding = produced - state["acked"] - state["failed"]
        if outstanding >= a.max_in_flight:
            time.sleep(0.01)
            continue
        key = "%s%09d" % (a.key_prefix, produced)
        partition = produced % a.partitions
        try:
            f = p.send(a.topic, key=key.encode(), value=durability_value(key.encode(), a.value_size), partition=partition)
        except KafkaError as e:
            state["fatal"] = "%s: %s" % (type(e).__name__, e)
            break
        f.add_callback(lambda md, key=key: on_ok(key, md))
        f.add_errback(lambda e, key=key, partition=partition: on_err(key, partition, e))
        produced += 1
        if produced % 10 == 0:
            progress.write("%d\n" % produced)
    try:
        p.flush(timeout=a.flush_timeout)
    except KafkaError as e:
        state["client_errors"].append("flush: %s: %s" % (type(e).__name__, e))
    with lock:
        unflushed = produced - state["acked"] - state["failed"]
    p.close(timeout=5)
    acks.close()
    progress.close()
    return write_summary(a, state, produced, unflushed, start)


if __name__ == "__main__":
    sys.exit(main())

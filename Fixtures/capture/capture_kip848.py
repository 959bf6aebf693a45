#!/usr/bin/env python3
"""Capture librdkafka's KIP-848 requests (ConsumerGroupHeartbeat v1, ConsumerGroupDescribe, and the
member-epoch OffsetCommit/OffsetFetch of that flow) into Fixtures/requests.

recording_broker.py cannot serve these: librdkafka 2.16 only sends ConsumerGroupHeartbeat v1, which
Kafka 3.9's schemas (the stand-in's codec) do not have. So this runs the real strom binary behind a
recording TCP proxy: every request frame passing through goes to recording_broker.Recorder (same
file names, MANIFEST rows and duplicate rules as the other captures), keeping only the API keys of
the flow. Scenario "kip848-group": a consumer with group.protocol=consumer joins, consumes and
commits, a second one joins and both reconcile, both leave; then AdminClient.describe_consumer_groups.

    STROM_BIN=.build/debug/strom .venv/bin/python Fixtures/capture/capture_kip848.py
    OUT=/tmp/somewhere ...      # write there instead of Fixtures/requests (WORK: the broker's directory)
"""
import os
import socket
import struct
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "interop"))
import recording_broker as rb  # noqa: E402
from broker import BrokerProcess, free_ports  # noqa: E402

KEYS = {8, 9, 68, 69}  # OffsetCommit, OffsetFetch, ConsumerGroupHeartbeat, ConsumerGroupDescribe
SCENARIO = "kip848-group"


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def pipe_requests(client, upstream, recorder):
    """Client -> broker: frame by frame, recording the wanted ones."""
    try:
        while True:
            size = struct.unpack(">i", read_exact(client, 4))[0]
            frame = read_exact(client, size)
            if struct.unpack_from(">h", frame, 0)[0] in KEYS:
                rel = recorder.record(frame)
                if rel:
                    print("captured", rel, flush=True)
            upstream.sendall(struct.pack(">i", size) + frame)
    except (EOFError, OSError):
        pass
    finally:
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def pipe_bytes(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass


def serve_proxy(listener, target_port, recorder):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", target_port))
        threading.Thread(target=pipe_requests, args=(client, upstream, recorder), daemon=True).start()
        threading.Thread(target=pipe_bytes, args=(upstream, client), daemon=True).start()


def main():
    from confluent_kafka import Consumer, Producer, libversion, version
    from confluent_kafka.admin import AdminClient, NewTopic

    work = Path(os.environ.get("WORK") or "/tmp/strom-capture-kip848")
    work.mkdir(parents=True, exist_ok=True)
    proxy_port = free_ports(1)[0]
    # The broker advertises the proxy's address, so every connection a client opens after
    # bootstrap (the group coordinator's too) goes through the proxy.
    broker = BrokerProcess(work / "broker", overrides={
        "group.consumer.heartbeat.interval.ms": "500",
        "advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % proxy_port,
    })
    broker.start()
    schemas = rb.Schemas(str(REPO.parent / "shared" / "kafka-protocol"))
    v = version()
    v = v[0] if isinstance(v, tuple) else v
    cver = "confluent-kafka %s, librdkafka %s" % (v, libversion()[0])
    client = "confluent-kafka-%s-librdkafka-%s" % (v, libversion()[0])
    recorder = rb.Recorder(os.environ.get("OUT") or str(REPO / "Fixtures" / "requests"), schemas, client=client, client_version=cver,
                           scenario=SCENARIO)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", proxy_port))
    listener.listen(16)
    threading.Thread(target=serve_proxy, args=(listener, broker.port, recorder), daemon=True).start()
    common = {"bootstrap.servers": "127.0.0.1:%d" % proxy_port}
    try:
        admin = AdminClient(common)
        admin.create_topics([NewTopic("kip848-topic", 4, 1)])["kip848-topic"].result()
        p = Producer(common)
        for i in range(40):
            p.produce("kip848-topic", b"v%d" % i, partition=i % 4)
        p.flush()

        def consumer(name):
            return Consumer(dict(common, **{"group.id": "kip848-group", "group.protocol": "consumer",
                                             "client.id": name, "auto.offset.reset": "earliest",
                                             "enable.auto.commit": False, "group.remote.assignor": "uniform"}))
        a = consumer("kip848-a")
        a.subscribe(["kip848-topic"])
        got = 0
        deadline = time.time() + 30
        while got < 40 and time.time() < deadline:
            m = a.poll(0.5)
            if m is not None and not m.error():
                got += 1
                a.commit(message=m, asynchronous=False)
        b = consumer("kip848-b")
        b.subscribe(["kip848-topic"])
        deadline = time.time() + 15
        while time.time() < deadline and not (a.assignment() and b.assignment() and
                                              len(a.assignment()) + len(b.assignment()) == 4):
            a.poll(0.2)
            b.poll(0.2)
        a.committed(a.assignment(), timeout=10)
        described = admin.describe_consumer_groups(["kip848-group"])["kip848-group"].result()
        print("described:", described.state, [m.member_id for m in described.members])
        a.close()
        b.close()
    finally:
        listener.close()
        broker.stop()


if __name__ == "__main__":
    main()

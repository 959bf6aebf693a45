"""SIGTERM stops the broker cleanly (exit 0, promptly) whatever its clients are doing, and a clean
restart keeps everything that was acknowledged."""
import socket
import struct
import subprocess
import time

import pytest

import kcat
from broker import BrokerProcess
from clients import CLIENTS
from records import make_records
from steps import produce_and_check, read_and_check

STOP_SECONDS = 10


def metadata_request():
    client_id = b"interop-shutdown"
    body = struct.pack(">hhih", 3, 1, 1, len(client_id)) + client_id + struct.pack(">i", -1)
    return struct.pack(">i", len(body)) + body


def stop_and_check(b, what):
    t0 = time.time()
    b.stop(timeout=STOP_SECONDS)
    if b.problems:
        pytest.fail("SIGTERM %s: %s (after %.1fs); broker log (%s), highlights:\n%s" % (
            what, "; ".join(b.problems), time.time() - t0, b.log_path, b.log_highlights()))


def connect_send_close(b):
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        s.sendall(metadata_request())


def kcat_produce(b, topic):
    p = subprocess.run([kcat.binary(), "-b", b.bootstrap, "-P", "-t", topic, "-p", "0"], input=b"one\ntwo\n",
                       capture_output=True, timeout=30)
    assert p.returncode == 0, "kcat -P: %s" % p.stderr.decode(errors="replace")


@pytest.mark.timeout(120)
def test_sigterm_right_after_connections_come_and_go(workdir):
    """A connection accepted (and already closed by its client) just before SIGTERM. A race, so
    60 rounds (about 10 s): each starts a broker, lets one client in and out, and stops it at once."""
    for i in range(60):
        b = BrokerProcess(workdir / ("round-%d" % i))
        b.start()
        connect_send_close(b)
        stop_and_check(b, "right after a client connected, sent Metadata and left (round %d of 60)" % (i + 1))


def test_sigterm_while_a_consumer_long_polls(workdir):
    """A consumer waiting in Fetch (fetch.wait.max.ms=5000 on a partition with nothing new)."""
    b = BrokerProcess(workdir / "broker")
    b.start()
    kcat_produce(b, "long-poll")
    consumer = subprocess.Popen([kcat.binary(), "-b", b.bootstrap, "-C", "-t", "long-poll", "-o", "end", "-q",
                                 "-X", "fetch.wait.max.ms=5000"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        stop_and_check(b, "while a kcat consumer waits in Fetch (fetch.wait.max.ms=5000)")
    finally:
        consumer.kill()
        consumer.wait()


def test_sigterm_right_after_a_consumer_leaves(workdir):
    """`kcat -C -e` reads to the end and exits; SIGTERM follows at once."""
    b = BrokerProcess(workdir / "broker")
    b.start()
    kcat_produce(b, "leaving")
    p = subprocess.run([kcat.binary(), "-b", b.bootstrap, "-C", "-t", "leaving", "-o", "beginning", "-e", "-q"],
                       capture_output=True, timeout=30)
    assert p.stdout == b"one\ntwo\n", (p.stdout, p.stderr)
    stop_and_check(b, "right after a kcat -C -e consumer read to the end and left")


def test_sigterm_with_an_idle_client_connected(workdir):
    b = BrokerProcess(workdir / "broker")
    b.start()
    with socket.create_connection(("127.0.0.1", b.port), timeout=5) as s:
        s.sendall(metadata_request())
        s.recv(4)
        stop_and_check(b, "with an idle client connection open")


def test_clean_restart_keeps_everything(fresh_broker, workdir):
    topic = "clean-restart"
    records = make_records(topic, 3)
    offsets = produce_and_check(CLIENTS["confluent-venv"], fresh_broker, topic, records, "zstd", True, workdir,
                                create_partitions=3)
    stop_and_check(fresh_broker, "after producing")
    fresh_broker.start()
    problems = []
    for reader in (CLIENTS["confluent-venv"], CLIENTS["kcat"]):
        problems += read_and_check(reader, fresh_broker, topic, range(3), records, offsets, workdir,
                                   tag="after-restart-" + reader.name)
    assert not problems, "\n".join(problems)

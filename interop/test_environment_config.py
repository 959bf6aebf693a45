"""The strom executable configured as a container is: KAFKA_* variables instead of a file, and
CLUSTER_ID formatting its log directory on the first start (Kafka's docker image conventions)."""
import os
import signal
import subprocess
import time

from broker import BrokerError, free_ports, metadata_brokers, strom_binary


def node_environment(workdir, port, controller_port, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_") and k != "CLUSTER_ID"}
    env.update({
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (port, controller_port),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@127.0.0.1:%d" % controller_port,
        "KAFKA_LOG_DIRS": str(workdir / "data"),
        "KAFKA_NUM_PARTITIONS": "5",
    })
    env.update(extra)
    return env


def run(args, env, cwd, timeout=30):
    return subprocess.run([str(strom_binary())] + args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout)


def cluster_id(workdir):
    for line in (workdir / "data" / "meta.properties").read_text().splitlines():
        if line.startswith("cluster.id="):
            return line.split("=", 1)[1]
    return None


def test_environment_alone_configures_a_node_and_cluster_id_formats_it(workdir):
    port, controller_port = free_ports(2)
    first_id = run(["random-uuid"], os.environ, workdir).stdout.decode().strip()

    # Without CLUSTER_ID an environment-configured node is not formatted with a random id.
    unformatted = run([], node_environment(workdir, port, controller_port), workdir)
    assert unformatted.returncode == 78, unformatted.stdout
    assert b"CLUSTER_ID" in unformatted.stdout
    assert not (workdir / "data" / "meta.properties").exists()

    printed = run(["print-config"], node_environment(workdir, port, controller_port), workdir)
    assert printed.returncode == 0, printed.stdout
    assert b"num.partitions=5\n" in printed.stdout and b"node.id=1\n" in printed.stdout

    env = node_environment(workdir, port, controller_port, CLUSTER_ID=first_id)
    with open(workdir / "strom.log", "ab") as log:
        proc = subprocess.Popen([str(strom_binary())], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            assert proc.poll() is None, (workdir / "strom.log").read_text()
            try:
                if metadata_brokers(port) == 1:
                    break
            except (OSError, ConnectionError, BrokerError):
                pass
            assert time.time() < deadline, "node did not answer: " + (workdir / "strom.log").read_text()
            time.sleep(0.1)
        assert cluster_id(workdir) == first_id
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0

    # A directory formatted for one cluster is refused under another CLUSTER_ID.
    other_id = run(["random-uuid"], os.environ, workdir).stdout.decode().strip()
    refused = run([], node_environment(workdir, port, controller_port, CLUSTER_ID=other_id), workdir)
    assert refused.returncode == 78, refused.stdout
    assert first_id.encode() in refused.stdout
    assert cluster_id(workdir) == first_id


def test_a_mistyped_variable_is_named(workdir):
    port, controller_port = free_ports(2)
    env = node_environment(workdir, port, controller_port, KAFKA_NUM_PARTITONS="3")
    out = run(["print-config"], env, workdir)
    assert out.returncode == 78
    assert b"num.partitons" in out.stdout

"""SASL_PLAINTEXT listeners with stock clients: PLAIN users from the listener's JAAS configuration,
SCRAM-SHA-256/512 users created with AlterUserScramCredentials, and what a client that does not
authenticate gets.

The broker has a PLAINTEXT listener (inter-broker, and the admin calls that create topics and users)
and a SASL_PLAINTEXT one. Each client produces records over SASL and reads them back from offset 0
(`drivers/sasl_client.py`). kafka-python 2.0.2 sends SaslHandshake v0 and raw tokens; librdkafka,
aiokafka and kafka-python 3 send SaslHandshake v1 and SaslAuthenticate.
"""
import json
import socket
import struct
import subprocess
import uuid
from pathlib import Path

import pytest
from confluent_kafka.admin import (AdminClient, NewTopic, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialDeletion, UserScramCredentialUpsertion)
from kafka import KafkaAdminClient

import kcat
from broker import BrokerProcess, free_ports
from clients import VENV_PY
from hostile import header, recv_exact

DRIVER = Path(__file__).parent / "drivers" / "sasl_client.py"
DEBIAN_PY = "/usr/bin/python3"
PLAIN_USERS = {"admin": "admin-secret", "alice": "alice-secret"}
SCRAM_USERS = {"carol": ("SCRAM-SHA-256", "carol-secret"), "dave": ("SCRAM-SHA-512", "dave-secret")}
MECHANISM = {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}
UNSUPPORTED_SASL_MECHANISM = 33


@pytest.fixture(scope="module")
def sasl_broker(run_dir):
    b = BrokerProcess(run_dir / "broker-sasl")
    (b.sasl_port,) = free_ports(1)
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
            + " ".join('user_%s="%s"' % u for u in PLAIN_USERS.items()) + ";")
    b.overrides = {
        "listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (b.port, b.sasl_port, b.controller_port),
        "advertised.listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (b.port, b.sasl_port),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        "connection.failed.authentication.delay.ms": "100",
        # ANONYMOUS: the fixture and the admin tests create users over the PLAINTEXT listener.
        "super.users": "User:admin;User:ANONYMOUS",
    }
    b.start()
    b.sasl_bootstrap = "127.0.0.1:%d" % b.sasl_port
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    upserts = [UserScramCredentialUpsertion(user, ScramCredentialInfo(MECHANISM[m], 4096 if m.endswith("256") else 8192), password.encode())
               for user, (m, password) in SCRAM_USERS.items()]
    for user, f in admin.alter_user_scram_credentials(upserts).items():
        f.result(timeout=30)
    yield b
    b.stop()
    if b.problems:
        pytest.fail("SASL broker: %s" % "; ".join(b.problems))


def new_topic(broker, prefix="sasl-"):
    """A new topic with one partition, created over the broker's PLAINTEXT listener."""
    name = prefix + uuid.uuid4().hex[:10]
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})  # kept alive until the futures resolve
    for f in admin.create_topics([NewTopic(name, 1, 1)]).values():
        f.result(timeout=30)
    return name


def run_client(interpreter, client, broker, mechanism, username, password, count=20, timeout=30):
    return run_spec(interpreter, {"client": client, "bootstrap": broker.sasl_bootstrap, "mechanism": mechanism,
                                  "username": username, "password": password}, broker, count, timeout)


def run_spec(interpreter, spec, broker, count=20, timeout=30, prefix="sasl-"):
    """Runs drivers/sasl_client.py with `spec` on a new topic; its result, with the values expected back."""
    spec = dict(spec, topic=new_topic(broker, prefix), count=count, timeout=timeout)
    proc = subprocess.run([str(interpreter), str(DRIVER), json.dumps(spec)], capture_output=True, text=True, timeout=timeout * 4)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["expected"] = ["%s-%d" % (spec["topic"], i) for i in range(count)]
    return out


CASES = [
    (VENV_PY, "confluent", "PLAIN", "alice"),
    (VENV_PY, "confluent", "SCRAM-SHA-256", "carol"),
    (VENV_PY, "confluent", "SCRAM-SHA-512", "dave"),
    (DEBIAN_PY, "confluent", "PLAIN", "admin"),
    (DEBIAN_PY, "confluent", "SCRAM-SHA-512", "dave"),
    (DEBIAN_PY, "kafka-python", "PLAIN", "alice"),
    (DEBIAN_PY, "kafka-python", "SCRAM-SHA-256", "carol"),
    (VENV_PY, "kafka-python", "PLAIN", "alice"),
    (VENV_PY, "kafka-python", "SCRAM-SHA-512", "dave"),
    (VENV_PY, "aiokafka", "PLAIN", "alice"),
    (VENV_PY, "aiokafka", "SCRAM-SHA-256", "carol"),
]


def password_of(user):
    return PLAIN_USERS.get(user) or SCRAM_USERS[user][1]


@pytest.mark.parametrize("interpreter,client,mechanism,user", CASES,
                         ids=["%s-%s-%s" % ("debian" if i == DEBIAN_PY else "venv", c, m) for i, c, m, _ in CASES])
def test_a_client_produces_and_reads_back_over_sasl(sasl_broker, interpreter, client, mechanism, user):
    out = run_client(interpreter, client, sasl_broker, mechanism, user, password_of(user))
    assert out.get("error") is None, out
    assert out["acked"] == 20, out
    assert out["read"] == out["expected"], out


def test_kcat_authenticates_with_scram(sasl_broker):
    topic = new_topic(sasl_broker)
    auth = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-256",
            "-X", "sasl.username=carol", "-X", "sasl.password=carol-secret"]
    lines = ["kcat-%d" % i for i in range(10)]
    subprocess.run([kcat.binary(), "-b", sasl_broker.sasl_bootstrap, "-P", "-t", topic, "-p", "0"] + auth,
                   input="\n".join(lines) + "\n", text=True, check=True, timeout=60)
    read = subprocess.run([kcat.binary(), "-b", sasl_broker.sasl_bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"] + auth,
                          capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert read == lines


@pytest.mark.parametrize("interpreter,client,mechanism,user,password,expected", [
    (VENV_PY, "confluent", "PLAIN", "alice", "wrong", "Authentication failed: Invalid username or password"),
    (VENV_PY, "confluent", "PLAIN", "nobody", "x", "Authentication failed: Invalid username or password"),
    (VENV_PY, "confluent", "SCRAM-SHA-256", "carol", "wrong",
     "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"),
    (VENV_PY, "confluent", "SCRAM-SHA-512", "nobody", "x",
     "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"),
    # A PLAIN user is not a SCRAM user.
    (VENV_PY, "confluent", "SCRAM-SHA-256", "alice", "alice-secret",
     "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"),
    (DEBIAN_PY, "kafka-python", "PLAIN", "alice", "wrong", None),
    (VENV_PY, "aiokafka", "SCRAM-SHA-256", "carol", "wrong", None),
], ids=["plain-wrong-password", "plain-unknown-user", "scram-wrong-password", "scram-unknown-user", "plain-user-over-scram",
        "kafka-python-2-raw-plain", "aiokafka-scram"])
def test_wrong_credentials_are_refused(sasl_broker, interpreter, client, mechanism, user, password, expected):
    offset = sasl_broker.log_size()
    out = run_client(interpreter, client, sasl_broker, mechanism, user, password, count=1, timeout=8)
    assert out["acked"] == 0 and out["read"] == [], out
    assert out.get("error"), out
    if expected:
        assert expected in out["error"], out
    assert "failed authentication" in sasl_broker.wait_for_log(offset, "failed authentication")


def frame(body):
    return struct.pack(">i", len(body)) + body


def closed_without_answer(s):
    """True when the broker closed the connection without sending a byte (a reset counts: the broker
    closes with our unread bytes still in its buffer)."""
    s.settimeout(10)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def test_a_request_before_authentication_gets_no_answer_and_a_close(sasl_broker):
    offset = sasl_broker.log_size()
    metadata_v1 = header(3, 1, 11, flexible=False) + struct.pack(">i", -1)
    with socket.create_connection(("127.0.0.1", sasl_broker.sasl_port), timeout=10) as s:
        s.sendall(frame(metadata_v1))
        assert closed_without_answer(s)
    assert "Unexpected Kafka request of type Metadata" in sasl_broker.wait_for_log(offset, "Unexpected Kafka request of type Metadata")


def test_a_large_frame_before_authentication_is_refused(sasl_broker):
    offset = sasl_broker.log_size()
    with socket.create_connection(("127.0.0.1", sasl_broker.sasl_port), timeout=10) as s:
        # sasl.server.max.receive.size is 512 KiB: the size prefix alone closes the connection.
        s.sendall(struct.pack(">i", 1 << 20) + b"\0" * 1024)
        assert closed_without_answer(s)
    assert "exceeds the limit of 524288 bytes" in sasl_broker.wait_for_log(offset, "exceeds the limit of 524288 bytes")


def test_an_unsupported_mechanism_is_answered_with_the_enabled_ones_then_closed(sasl_broker):
    mechanism = b"GSSAPI"
    handshake_v1 = header(17, 1, 12, flexible=False) + struct.pack(">h", len(mechanism)) + mechanism
    with socket.create_connection(("127.0.0.1", sasl_broker.sasl_port), timeout=10) as s:
        s.sendall(frame(handshake_v1))
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        body = recv_exact(s, size)
        corr, error, count = struct.unpack(">ihi", body[:10])
        names, rest = [], body[10:]
        for _ in range(count):
            n = struct.unpack(">h", rest[:2])[0]
            names.append(rest[2:2 + n].decode())
            rest = rest[2 + n:]
        assert (corr, error, names) == (12, UNSUPPORTED_SASL_MECHANISM, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
        assert closed_without_answer(s)


def test_scram_credentials_are_described_and_bad_ones_refused(sasl_broker):
    admin = AdminClient({"bootstrap.servers": sasl_broker.bootstrap})
    described = {u: f.result(timeout=30) for u, f in admin.describe_user_scram_credentials(["carol", "dave"]).items()}
    got = {u: sorted((i.mechanism, i.iterations) for i in d.scram_credential_infos) for u, d in described.items()}
    assert got == {"carol": [(ScramMechanism.SCRAM_SHA_256, 4096)], "dave": [(ScramMechanism.SCRAM_SHA_512, 8192)]}
    # kafka-python 3 reads the same through its own DescribeUserScramCredentials.
    kp = KafkaAdminClient(bootstrap_servers=sasl_broker.bootstrap)
    try:
        text = repr(kp.describe_user_scram_credentials(["carol", "dave"]))
        assert "carol" in text and "dave" in text and "4096" in text and "8192" in text, text
    finally:
        kp.close()
    # Too few iterations, and deleting what does not exist.
    bad = admin.alter_user_scram_credentials([
        UserScramCredentialUpsertion("erin", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 1000), b"pw"),
        UserScramCredentialDeletion("frank", ScramMechanism.SCRAM_SHA_512)])
    errors = {}
    for user, f in bad.items():
        with pytest.raises(Exception) as e:
            f.result(timeout=30)
        errors[user] = str(e.value)
    assert "Too few iterations" in errors["erin"], errors
    assert "does not exist" in errors["frank"], errors


@pytest.fixture(scope="module")
def reauth_broker(run_dir):
    """A SASL broker whose sessions live 2 s (connections.max.reauth.ms, KIP-368)."""
    b = BrokerProcess(run_dir / "broker-sasl-reauth")
    (b.sasl_port,) = free_ports(1)
    jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";'
    b.overrides = {
        "listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (b.port, b.sasl_port, b.controller_port),
        "advertised.listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (b.port, b.sasl_port),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        "connections.max.reauth.ms": "2000",
    }
    b.start()
    b.sasl_bootstrap = "127.0.0.1:%d" % b.sasl_port
    yield b
    b.stop()
    if b.problems:
        pytest.fail("re-authentication broker: %s" % "; ".join(b.problems))


def test_clients_reauthenticate_before_their_session_expires(reauth_broker):
    """librdkafka 2.16 re-authenticates (SaslHandshake + SaslAuthenticate on the same connection) at
    90% of the 2 s lifetime the broker gave it; over 7 s of producing it is never disconnected for an
    expired session, and every record is delivered."""
    from confluent_kafka import Producer
    import time
    offset = reauth_broker.log_size()
    topic = new_topic(reauth_broker)
    errors, delivered = [], []
    p = Producer({"bootstrap.servers": reauth_broker.sasl_bootstrap, "security.protocol": "SASL_PLAINTEXT",
                  "sasl.mechanisms": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret",
                  "error_cb": lambda e: errors.append(str(e))})
    end = time.time() + 7
    i = 0
    while time.time() < end:
        p.produce(topic, b"r%d" % i, partition=0, on_delivery=lambda e, m: delivered.append(m.offset()) if e is None else errors.append(str(e)))
        p.poll(0.1)
        i += 1
    assert p.flush(30) == 0
    assert errors == [] and len(delivered) == i, (errors, len(delivered), i)
    log = reauth_broker.log_since(offset, max_lines=5000)
    assert "expired (connections.max.reauth.ms)" not in log, "librdkafka 2.16 was disconnected for an expired session"


def test_a_client_that_cannot_reauthenticate_is_disconnected_and_reconnects(reauth_broker):
    """kafka-python 2.0.2 (raw SaslHandshake v0 tokens, no KIP-368) is closed on its first request
    after the 2 s session ends; it reconnects, authenticates again and carries on."""
    import time
    offset = reauth_broker.log_size()
    topic = new_topic(reauth_broker)
    script = r'''
import sys, time
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                  sasl_plain_username="alice", sasl_plain_password="alice-secret", acks="all", retries=5)
sent = 0
end = time.time() + 6
while time.time() < end:
    p.send(sys.argv[2], b"v%d" % sent, partition=0).get(timeout=20)
    sent += 1
    time.sleep(0.2)
print(sent)
'''
    proc = subprocess.run([DEBIAN_PY, "-c", script, reauth_broker.sasl_bootstrap, topic], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.strip()) >= 10
    assert "expired (connections.max.reauth.ms)" in reauth_broker.wait_for_log(offset, "expired (connections.max.reauth.ms)")


@pytest.mark.parametrize("mechanism,user", [("PLAIN", "alice"), ("SCRAM-SHA-256", "carol"), ("SCRAM-SHA-512", "dave")])
def test_sarama_produces_and_reads_back_over_sasl(sasl_broker, workdir, mechanism, user):
    """sarama 1.22 (Go; its SCRAM client is the driver's own, as sarama leaves that to the caller)."""
    run_sarama(sasl_broker.sasl_bootstrap, new_topic(sasl_broker), workdir,
               {"protocol": "SASL_PLAINTEXT", "mechanism": mechanism, "username": user, "password": password_of(user)})


def run_sarama(bootstrap, topic, workdir, security):
    """Produces records of every size (records.SIZES) with sarama over `security` to the topic's one
    partition and reads them back with it; checks acknowledgements and records byte for byte."""
    from clients import CLIENTS
    from records import check_acks, check_read, make_records, produce_spec, read_spec
    records = make_records("sarama " + topic, partitions=1)
    spec = dict(produce_spec(bootstrap, topic, records, "none", False), security=security)
    rc, result, log = CLIENTS["sarama"].run("produce", spec, workdir, "sarama-" + topic)
    assert rc == 0 and result is not None, log[-3000:]
    problems, offsets = check_acks(records, result)
    assert not problems, problems
    rc, result, log = CLIENTS["sarama"].run("read", dict(read_spec(bootstrap, topic, [0]), security=security), workdir, "sarama-read-" + topic)
    assert rc == 0 and result is not None, log[-3000:]
    problems = check_read(records, offsets, result, "sarama")
    assert not problems, problems


def test_only_super_users_change_scram_credentials(sasl_broker):
    """Until ACLs are enforced, super.users (here User:admin and, for the tests' own set-up over the
    PLAINTEXT listener, User:ANONYMOUS) guards AlterUserScramCredentials: alice, authenticated but not
    a super user, gets CLUSTER_AUTHORIZATION_FAILED and changes nothing; admin may."""
    sasl = {"bootstrap.servers": sasl_broker.sasl_bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN"}
    upsert = [UserScramCredentialUpsertion("mallory", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), b"pw")]
    alice = AdminClient(dict(sasl, **{"sasl.username": "alice", "sasl.password": "alice-secret"}))
    for f in alice.alter_user_scram_credentials(upsert).values():
        with pytest.raises(Exception) as e:
            f.result(timeout=30)
        assert "CLUSTER_AUTHORIZATION_FAILED" in str(e.value) or "super.users" in str(e.value), e.value
    admin = AdminClient(dict(sasl, **{"sasl.username": "admin", "sasl.password": "admin-secret"}))
    with pytest.raises(Exception):
        admin.describe_user_scram_credentials(["mallory"])["mallory"].result(timeout=30)
    for f in admin.alter_user_scram_credentials(upsert).values():
        f.result(timeout=30)
    info = admin.describe_user_scram_credentials(["mallory"])["mallory"].result(timeout=30)
    assert [(i.mechanism, i.iterations) for i in info.scram_credential_infos] == [(ScramMechanism.SCRAM_SHA_256, 4096)]


def test_acl_requests_are_answered_security_disabled(sasl_broker):
    """No authorizer yet: CreateAcls, DescribeAcls and DeleteAcls get Kafka's SECURITY_DISABLED answer
    (what a Kafka broker without authorizer.class.name says), not a closed connection."""
    from confluent_kafka.admin import AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
    admin = AdminClient({"bootstrap.servers": sasl_broker.bootstrap})
    binding = AclBinding(ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL, "User:alice", "*",
                         AclOperation.READ, AclPermissionType.ALLOW)
    any_filter = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY)
    for call in (lambda: admin.create_acls([binding])[binding].result(timeout=30),
                 lambda: admin.delete_acls([any_filter])[any_filter].result(timeout=30)):
        with pytest.raises(Exception) as e:
            call()
        assert "SECURITY_DISABLED" in str(e.value), e.value
    # librdkafka drops DescribeAcls' top-level error (it reads it, then returns the empty list), so
    # kafka-python 3 asks; it raises what the broker answered.
    from kafka.admin import ACLFilter, ACLOperation, ACLPermissionType, ResourcePatternFilter, ResourceType as KResourceType
    from kafka.admin import ACLResourcePatternType
    kp = KafkaAdminClient(bootstrap_servers=sasl_broker.bootstrap)
    try:
        with pytest.raises(Exception) as e:
            kp.describe_acls(ACLFilter(principal=None, host="*", operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                                       resource_pattern=ResourcePatternFilter(KResourceType.ANY, None, ACLResourcePatternType.ANY)))
        assert "SecurityDisabled" in type(e.value).__name__ or "No Authorizer" in str(e.value), repr(e.value)
    finally:
        kp.close()

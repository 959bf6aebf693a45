"""A three-node cluster whose inter-broker and controller listeners are secured, in five set-ups:
SASL_PLAINTEXT with PLAIN between brokers, SASL_PLAINTEXT with SCRAM-SHA-512 between brokers (the
broker's user from `strom format --add-scram`), mutual TLS between brokers with a SASL_SSL controller
listener, SASL_SSL everywhere (SCRAM-SHA-512 between brokers, PLAIN to the controllers), and that
with the StandardAuthorizer (User:broker a super user; the clients' PLAINTEXT listener open through
allow.everyone.if.no.acl.found while no ACL names a resource). The
quorum, registrations and heartbeats, replica fetches and transaction markers all authenticate;
clients use a PLAINTEXT listener. A topic with replication factor 3 and min.insync.replicas=2 gets
every replica in sync (so followers fetched over the secured listener), records written with
acks=all read back, and a client that speaks to a controller listener without authenticating is
closed without an answer."""
import socket
import ssl
import struct
import time
import uuid

import pytest

from broker import free_ports
from faults import create_topic
from hostile import header, recv_exact
from certs import Certificates
from quorum import Cluster

JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" '
        'user_broker="broker-secret";')


SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";'


@pytest.fixture(params=["PLAIN", "SCRAM-SHA-512", "TLS", "SASL_SSL", "SASL_SSL+ACL"])
def sasl_cluster(request, workdir):
    with_acls = request.param == "SASL_SSL+ACL"
    inter_broker = "SASL_SSL" if with_acls else request.param
    c = Cluster(workdir / "cluster")
    c.kind = inter_broker
    c.with_acls = with_acls
    if inter_broker in ("TLS", "SASL_SSL"):
        certs = Certificates(workdir / "certs")
        c.ca = str(certs.path("ca.crt"))
        tls = {"ssl.keystore.type": "PEM", "ssl.keystore.location": str(certs.path("server-keystore.pem")),
               "ssl.truststore.type": "PEM", "ssl.truststore.location": str(certs.path("ca.crt"))}
    if inter_broker in ("SCRAM-SHA-512", "SASL_SSL"):
        c.format_args = ["--add-scram", "SCRAM-SHA-512=[name=broker,password=broker-secret,iterations=8192]"]
    for n in c.nodes.values():
        (n.internal_port,) = free_ports(1)
        n.overrides.update({
            "listeners": "PLAINTEXT://127.0.0.1:%d,INTERNAL://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (n.port, n.internal_port, n.controller_port),
            "advertised.listeners": "PLAINTEXT://127.0.0.1:%d,INTERNAL://127.0.0.1:%d" % (n.port, n.internal_port),
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.internal.sasl.enabled.mechanisms": inter_broker,
            "sasl.mechanism.inter.broker.protocol": inter_broker,
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.internal.%s.sasl.jaas.config" % inter_broker.lower(): JAAS if inter_broker == "PLAIN" else SCRAM_JAAS,
            "listener.name.controller.plain.sasl.jaas.config": JAAS,
        })
        if inter_broker == "PLAIN":
            # Sessions of 3 s: the nodes' own connections must renew theirs before the brokers close them.
            n.overrides["connections.max.reauth.ms"] = "3000"
        if inter_broker == "TLS":
            # INTERNAL is mutual TLS; the controller listener is SASL_SSL (PLAIN inside TLS).
            del n.overrides["listener.name.internal.sasl.enabled.mechanisms"], n.overrides["listener.name.internal.tls.sasl.jaas.config"]
            n.overrides.update({
                "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SSL,CONTROLLER:SASL_SSL",
                "sasl.mechanism.inter.broker.protocol": "PLAIN",
                "listener.name.internal.ssl.client.auth": "required",
            })
            n.overrides.update(tls)
        if inter_broker == "SASL_SSL":
            # Both SASL_SSL: SCRAM-SHA-512 between brokers (the user from --add-scram), PLAIN to the controllers.
            for k in [k for k in n.overrides if k.startswith("listener.name.internal.")]:
                del n.overrides[k]
            n.overrides.update({
                "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL,CONTROLLER:SASL_SSL",
                "listener.name.internal.sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
                "listener.name.internal.scram-sha-512.sasl.jaas.config": SCRAM_JAAS,
            })
            n.overrides.update(tls)
        if with_acls:
            n.overrides.update({
                "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users": "User:broker",
                "allow.everyone.if.no.acl.found": "true",
                # A user the controller listener authenticates but the authorizer must refuse.
                "listener.name.controller.plain.sasl.jaas.config": JAAS.replace(";", ' user_intruder="intruder-secret";'),
            })
    yield c
    problems = c.stop()
    if problems:
        pytest.fail("SASL cluster: %s" % "; ".join(problems))


def read_all(bootstrap, topic, partitions, count, timeout=60):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "sasl-cluster-reader", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = []
    deadline = time.time() + timeout
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            out.append(m.value().decode())
    c.close()
    return out


def test_replication_and_the_quorum_authenticate(sasl_cluster, workdir):
    c = sasl_cluster
    c.start()
    bootstrap = c.bootstrap()
    topic = "sasl-replicated-" + uuid.uuid4().hex[:6]
    create_topic(bootstrap, topic, 3, workdir)
    values = ["v%04d" % i for i in range(600)]
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    errors = []
    for i, v in enumerate(values):
        p.produce(topic, v.encode(), partition=i % 3, on_delivery=lambda e, m: errors.append(e) if e else None)
    assert p.flush(60) == 0 and errors == []
    assert sorted(read_all(bootstrap, topic, 3, len(values))) == sorted(values)
    if c.kind == "PLAIN":
        # Past the 3 s session lifetime: replication, heartbeats and the quorum go on without a broker
        # closing one of the nodes' connections for an expired session.
        time.sleep(4)
        more = ["w%04d" % i for i in range(300)]
        for i, v in enumerate(more):
            p.produce(topic, v.encode(), partition=i % 3, on_delivery=lambda e, m: errors.append(e) if e else None)
        assert p.flush(60) == 0 and errors == []
        assert sorted(read_all(bootstrap, topic, 3, len(values) + len(more))) == sorted(values + more)
        for n in c.nodes.values():
            assert "expired (connections.max.reauth.ms)" not in n.log_since(0, max_lines=100000), n.workdir
    for n in c.nodes.values():
        log = n.log_since(0, max_lines=100000)
        assert "failed authentication" not in log, n.workdir


def test_a_quorum_request_without_authentication_is_closed_unanswered(sasl_cluster):
    c = sasl_cluster
    c.start()
    node = c.nodes[1]
    offset = node.log_size()
    # DescribeQuorum v0 (flexible) on the controller listener, before any SASL handshake.
    body = b"\x02" + b"\x13__cluster_metadata" + b"\x02" + struct.pack(">i", 0) + b"\x00" + b"\x00" + b"\x00"
    with socket.create_connection(("127.0.0.1", node.controller_port), timeout=10) as raw:
        # With TLS, the handshake succeeds (the client trusts the CA) and SASL still refuses the request.
        s = ssl.create_default_context(cafile=c.ca).wrap_socket(raw, server_hostname="localhost") if c.kind in ("TLS", "SASL_SSL") else raw
        s.sendall(struct.pack(">i", len(header(55, 0, 5, flexible=True)) + len(body)) + header(55, 0, 5, flexible=True) + body)
        s.settimeout(10)
        assert s.recv(1) == b""
    assert "Unexpected Kafka request of type DescribeQuorum" in node.wait_for_log(offset, "Unexpected Kafka request of type DescribeQuorum")


def exchange(s, api_key, version, corr, body, flexible):
    """Sends one request on `s`; the response after its correlation id (and tag section when flexible)."""
    h = header(api_key, version, corr, flexible=flexible)
    s.sendall(struct.pack(">i", len(h) + len(body)) + h + body)
    (size,) = struct.unpack(">i", recv_exact(s, 4))
    payload = recv_exact(s, size)
    assert struct.unpack(">i", payload[:4])[0] == corr
    return payload[5:] if flexible else payload[4:]


@pytest.mark.parametrize("sasl_cluster", ["SASL_SSL+ACL"], indirect=True)
def test_with_an_authorizer_only_the_brokers_act_on_the_controller_listener(sasl_cluster, workdir):
    """Authenticated is not enough on the controller listener: once an ACL names the cluster, a user
    other than the brokers' (a super user) gets CLUSTER_AUTHORIZATION_FAILED for a quorum request, with
    Kafka's audit line, while the cluster itself (quorum, registrations, replication, all as User:broker)
    goes on."""
    from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, AdminClient, ResourcePatternType,
                                       ResourceType)
    c = sasl_cluster
    c.start()
    # Through node 1, the node the intruder then asks. Node 1 answers once its image has the ACL when
    # the request reaches it; librdkafka may send it to another node, whose answer comes first: the
    # intruder's request is repeated (a fresh connection each time) until node 1 decides it with the ACL.
    admin = AdminClient({"bootstrap.servers": c.bootstrap(1)})
    acl = AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL, "User:broker", "*",
                     AclOperation.CLUSTER_ACTION, AclPermissionType.ALLOW)
    for f in admin.create_acls([acl]).values():
        assert f.result(timeout=30) is None
    node = c.nodes[1]
    offset = node.log_size()
    describe_quorum = b"\x02" + b"\x13__cluster_metadata" + b"\x02" + struct.pack(">i", 0) + b"\x00" + b"\x00" + b"\x00"

    def intruder_describes_the_quorum():
        with socket.create_connection(("127.0.0.1", node.controller_port), timeout=10) as raw:
            s = ssl.create_default_context(cafile=c.ca).wrap_socket(raw, server_hostname="localhost")
            handshake = exchange(s, 17, 1, 1, struct.pack(">h", 5) + b"PLAIN", flexible=False)
            assert struct.unpack(">h", handshake[:2])[0] == 0
            token = b"\x00intruder\x00intruder-secret"
            authenticated = exchange(s, 36, 2, 2, bytes([len(token) + 1]) + token + b"\x00", flexible=True)
            assert struct.unpack(">h", authenticated[:2])[0] == 0
            return struct.unpack(">h", exchange(s, 55, 0, 3, describe_quorum, flexible=True)[:2])[0]

    deadline = time.time() + 30
    while intruder_describes_the_quorum() != 31:   # CLUSTER_AUTHORIZATION_FAILED
        assert time.time() < deadline, "node 1 still lets the intruder describe the quorum 30 s after the ACL"
        time.sleep(0.1)
    line = ("Principal = User:intruder is Denied operation = DESCRIBE from host = 127.0.0.1 on resource = "
            "Cluster:LITERAL:kafka-cluster for request = DescribeQuorum with resourceRefCount = 1 based on rule DefaultDeny")
    assert line in node.wait_for_log(offset, line)
    # The brokers' own requests are still served: a replicated topic gets written and read back.
    topic = "acl-cluster-" + uuid.uuid4().hex[:6]
    create_topic(c.bootstrap(), topic, 3, workdir)
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": c.bootstrap(), "acks": "all"})
    for i in range(30):
        p.produce(topic, b"a%02d" % i, partition=i % 3)
    assert p.flush(60) == 0
    assert sorted(read_all(c.bootstrap(), topic, 3, 30)) == sorted("a%02d" % i for i in range(30))

"""ACLs enforced by the StandardAuthorizer (`authorizer.class.name`), with stock clients driving the
real broker: an ACL matrix of who may produce, consume, join a group, describe a topic, start an
idempotent or transactional producer, create and delete topics and administer ACLs (LITERAL and
PREFIXED patterns, DENY over ALLOW, super users, allow.everyone.if.no.acl.found), each case checked
by what the clients get back and, for refusals, by the audit line the broker logs (Kafka 3.9's
`kafka.authorizer.logger` text), and the checks per API as Kafka 3.9's KafkaApis makes them.

The module's broker has a SASL_PLAINTEXT client listener with the PLAIN users admin, alice and bob
(JAAS `user_<name>`), a PLAINTEXT listener for the node itself and the tests' set-up (topics are
created there as User:ANONYMOUS), `super.users=User:admin;User:ANONYMOUS` and
`allow.everyone.if.no.acl.found` left false. ACLs are created, described and deleted with
confluent-kafka's AdminClient over SASL as admin. Every test uses topics and groups of its own
(uuid suffixes), so the tests do not depend on one another; a test that grants bob or alice
something beyond its own resources (a cluster ACL) takes it away again.

Produce and group consume run in subprocesses, one client library each (`drivers/acl_client.py`):
confluent-kafka 2.16 and kafka-python 3 and aiokafka 0.14 from the venv, confluent-kafka 1.7
(librdkafka 2.0.2) and kafka-python 2.0.2 from Debian; kcat as a command. Client-side facts the
assertions rely on:
* librdkafka asks Metadata for a topic before producing and fails the messages with the topic's
  TOPIC_AUTHORIZATION_FAILED without sending a Produce when it may not describe the topic; to see the
  broker refuse the Produce itself (and log the WRITE denial) the principal needs DESCRIBE (here
  READ, which implies it).
* kafka-python 2.0.2 never raises for a topic whose Metadata says TOPIC_AUTHORIZATION_FAILED; its
  send blocks until max_block_ms (dpkp/kafka-python#2078, fixed in 2.2). So it is asked to produce
  only where the principal may describe the topic, and gets the Produce answer's error.
* kafka-python 3 is idempotent unless told otherwise (the driver turns it off for plain produce).
* librdkafka drops DescribeAcls' top-level error (an empty list comes back), so bob's refused
  DescribeAcls is asked with kafka-python 3, which raises what the broker answered.
"""
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient, NewTopic,
                                   ResourcePatternType, ResourceType)

import kcat
from broker import BrokerProcess, free_ports
from clients import SYS_PY, VENV_PY
from test_sasl import new_topic

DRIVER = Path(__file__).parent / "drivers" / "acl_client.py"
USERS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
ANONYMOUS_WARNING = "this node is User:ANONYMOUS, which is not in super.users"
IDEMPOTENT_REFUSED = "denied: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic"

# name: (interpreter, driver client)
CLIENTS = {
    "confluent-venv": (VENV_PY, "confluent"),
    "kafka-python-venv": (VENV_PY, "kafka-python"),
    "aiokafka": (VENV_PY, "aiokafka"),
    "confluent-debian": (SYS_PY, "confluent"),
    "kafka-python-debian": (SYS_PY, "kafka-python"),
}
IDEMPOTENT_CLIENTS = [c for c in CLIENTS if c != "kafka-python-debian"]


def start_acl_broker(workdir, **extra):
    """A broker with the SASL_PLAINTEXT listener, the PLAIN users and the StandardAuthorizer; `extra`
    overrides or adds server.properties keys."""
    b = BrokerProcess(workdir)
    (b.sasl_port,) = free_ports(1)
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" '
            + " ".join('user_%s="%s"' % u for u in USERS.items()) + ";")
    b.overrides = {
        "listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (b.port, b.sasl_port, b.controller_port),
        "advertised.listeners": "PLAINTEXT://127.0.0.1:%d,SASL_PLAINTEXT://127.0.0.1:%d" % (b.port, b.sasl_port),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
        "authorizer.class.name": AUTHORIZER,
        # ANONYMOUS: the node's own PLAINTEXT connections and the tests' topic creation.
        "super.users": "User:admin;User:ANONYMOUS",
        # Groups form in a tenth of a second instead of 3 s (Kafka's default).
        "group.initial.rebalance.delay.ms": "100",
    }
    b.overrides.update(extra)
    b.sasl_bootstrap = "127.0.0.1:%d" % b.sasl_port
    b.start()
    return b


@pytest.fixture(scope="module")
def broker(run_dir):
    """The module's broker. Named `broker` so that conftest watches it (restart after a death, its
    log in failure reports)."""
    b = start_acl_broker(run_dir / "broker-acls")
    yield b
    b.stop()
    if b.problems:
        pytest.fail("ACL broker: %s" % "; ".join(b.problems))


# ---------------------------------------------------------------- helpers

def uid():
    return uuid.uuid4().hex[:10]


def sasl_conf(broker, user):
    return {"bootstrap.servers": broker.sasl_bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
            "sasl.username": user, "sasl.password": USERS[user]}


def admin_client(broker, user="admin"):
    """An AdminClient over SASL. Keep it referenced until its futures resolve: a collected client
    never resolves them."""
    return AdminClient(sasl_conf(broker, user))


def acl(resource_type, name, user, operation, pattern=ResourcePatternType.LITERAL, permission=AclPermissionType.ALLOW, host="*"):
    return AclBinding(resource_type, name, pattern, "User:" + user, host, operation, permission)


def topic_acl(name, user, operation, **kw):
    return acl(ResourceType.TOPIC, name, user, operation, **kw)


def group_acl(name, user, operation, **kw):
    return acl(ResourceType.GROUP, name, user, operation, **kw)


def cluster_acl(user, operation, **kw):
    return acl(ResourceType.BROKER, "kafka-cluster", user, operation, **kw)


def name_filter(name, resource_type=ResourceType.ANY, pattern=ResourcePatternType.ANY, principal=None, operation=AclOperation.ANY):
    return AclBindingFilter(resource_type, name, pattern, principal, None, operation, AclPermissionType.ANY)


def grant(broker, *bindings):
    """CreateAcls as admin over SASL; every binding must be created. Strom answers once this node's
    authorizer has them, so the next request is decided with them."""
    admin = admin_client(broker)
    for binding, f in admin.create_acls(list(bindings)).items():
        assert f.result(timeout=30) is None, binding


def revoke(broker, *filters):
    """DeleteAcls as admin; returns the bindings deleted for each filter."""
    admin = admin_client(broker)
    return {flt: f.result(timeout=30) for flt, f in admin.delete_acls(list(filters)).items()}


def described(broker, flt, user="admin"):
    admin = admin_client(broker, user)
    return set(admin.describe_acls(flt).result(timeout=30))


def run(broker, workdir, client, user, topic, produce=0, group=None, consume=0, idempotent=False, tag=None, timeout=15):
    """drivers/acl_client.py with one client library as `user` over SASL; its result. The spec, the
    result and the client's stderr stay in the test's work directory."""
    interpreter, lib = CLIENTS[client]
    tag = tag or "%s-%s" % (user, uid()[:6])
    spec = {"client": lib, "bootstrap": broker.sasl_bootstrap, "mechanism": "PLAIN", "username": user,
            "password": USERS[user], "topic": topic, "produce": produce, "tag": tag, "idempotent": idempotent,
            "group": group, "consume": consume, "timeout": timeout}
    base = Path(workdir) / ("%s-%s" % (client, tag))
    Path(str(base) + ".spec.json").write_text(json.dumps(spec))
    p = subprocess.run([str(interpreter), str(DRIVER), json.dumps(spec)], capture_output=True, text=True, timeout=timeout * 4 + 30)
    Path(str(base) + ".log").write_text("$ %s %s '<spec>'\nexit %s\n%s\n--- stdout\n%s" % (interpreter, DRIVER, p.returncode, p.stderr, p.stdout))
    assert p.returncode == 0, "%s as %s: the driver failed (exit %s): %s" % (client, user, p.returncode, p.stderr[-3000:])
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["expected"] = ["%s-%s-%d" % (topic, tag, i) for i in range(produce)]
    out["what"] = "%s (%s) as %s on %s" % (client, out.get("version"), user, topic)
    out["stderr"] = p.stderr
    return out


def error_names(errors):
    return {e["name"] for e in errors}


def assert_produced(out, n):
    assert out["produce_errors"] == [] and out["acked"] == n, out


def assert_produce_refused(out, name="TOPIC_AUTHORIZATION_FAILED"):
    assert out["acked"] == 0, out
    assert name in error_names(out["produce_errors"]), out


def assert_consumed(out, values):
    assert out["consume_errors"] == [], out
    assert out["read"] == values, out
    assert out["committed"] == len(values), out


def committed_offset(broker, group, topic):
    """The group's committed offset of partition 0 (OffsetFetch as admin), -1001 when there is none."""
    admin = admin_client(broker)
    f = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0)])])[group]
    (tp,) = f.result(timeout=30).topic_partitions
    assert tp.error is None, tp
    return tp.offset


def audit(principal, operation, resource, request, rule="DefaultDeny", allowed=False):
    """Kafka's audit text (StandardAuthorizerData.buildAuditMessage) for a check from this host."""
    return "Principal = User:%s is %s operation = %s from host = 127.0.0.1 on resource = %s for request = %s with resourceRefCount = 1 based on rule %s" % (
        principal, "Allowed" if allowed else "Denied", operation, resource, request, rule)


def assert_logged(broker, offset, text):
    """The broker logged `text` since `offset`. Waits for the line's start (an audit line's text
    before its rule) so that a line with another rule fails at once rather than after the wait."""
    log = broker.wait_for_log(offset, text.split(" based on rule ")[0])
    assert text in log, "the broker did not log %r; its Denied lines since:\n%s" % (
        text, "\n".join(l for l in log.splitlines() if "Denied" in l or "denied" in l)[-4000:])


def kcat_sasl(user):
    return ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
            "-X", "sasl.username=" + user, "-X", "sasl.password=" + USERS[user]]


# ---------------------------------------------------------------- 1. allowed

@pytest.mark.parametrize("client", list(CLIENTS))
def test_allowed_user_produces_and_consumes_in_a_group(broker, workdir, client):
    """ALLOW alice WRITE and READ on a LITERAL topic and READ on a LITERAL group: she produces 10
    records over SASL PLAIN and consumes them back in the group, which commits offset 10."""
    topic, group = new_topic(broker, "allowed-"), "g-allowed-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), topic_acl(topic, "alice", AclOperation.READ),
          group_acl(group, "alice", AclOperation.READ))
    out = run(broker, workdir, client, "alice", topic, produce=10, group=group, consume=10)
    assert_produced(out, 10)
    assert_consumed(out, out["expected"])
    assert committed_offset(broker, group, topic) == 10


def test_allowed_user_with_kcat(broker, workdir):
    """kcat (librdkafka 2.0.2) as alice: -P, then -G in her group (commits when it stops)."""
    topic, group = new_topic(broker, "allowed-kcat-"), "g-allowed-kcat-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), topic_acl(topic, "alice", AclOperation.READ),
          group_acl(group, "alice", AclOperation.READ))
    lines = ["kcat-%d" % i for i in range(10)]
    p = subprocess.run([kcat.binary(), "-b", broker.sasl_bootstrap, "-P", "-t", topic, "-p", "0", "-X", "acks=all",
                        "-X", "message.timeout.ms=15000"] + kcat_sasl("alice"),
                       input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr.strip() == "", p.stderr
    p = subprocess.run([kcat.binary(), "-b", broker.sasl_bootstrap, "-G", group, "-X", "auto.offset.reset=earliest",
                        "-X", "heartbeat.interval.ms=1000", "-e", "-q", "-f", "%p %o %s\n", topic] + kcat_sasl("alice"),
                       capture_output=True, text=True, timeout=60)
    (workdir / "kcat-consume.log").write_text(p.stderr + "\n--- stdout\n" + p.stdout)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["0 %d %s" % (i, v) for i, v in enumerate(lines)], p.stdout
    assert committed_offset(broker, group, topic) == 10


# ---------------------------------------------------------------- 2. denied

def test_a_user_without_acls_is_refused_everywhere_and_audited(broker, workdir):
    """bob has no ACL; the topic and group have alice's. bob's produce gets TOPIC_AUTHORIZATION_FAILED
    (the clients learn it from Metadata), his consume in her group an authorization error, his
    all-topics Metadata does not list the topic and his Metadata for it names the error. Audit lines:
    DESCRIBE Topic (Metadata) and DESCRIBE Group (FindCoordinator), by rule DefaultDeny as the
    resources have ACLs of someone else."""
    topic, group = new_topic(broker, "denied-"), "g-denied-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), topic_acl(topic, "alice", AclOperation.READ),
          group_acl(group, "alice", AclOperation.READ))
    assert_produced(run(broker, workdir, "confluent-venv", "alice", topic, produce=3), 3)
    offset = broker.log_size()

    # Metadata of all topics: the topic is left out for bob, not for alice or admin. Kafka does not
    # log this denial (logIfDenied is false for all-topics Metadata).
    assert topic in admin_client(broker).list_topics(timeout=15).topics
    assert topic in admin_client(broker, "alice").list_topics(timeout=15).topics
    listed = admin_client(broker, "bob").list_topics(timeout=15)
    assert topic not in listed.topics, sorted(listed.topics)
    assert "Topic:LITERAL:%s for request = Metadata" % topic not in broker.log_since(offset, 100000)
    # Metadata for the topic by name: TOPIC_AUTHORIZATION_FAILED, logged.
    md = admin_client(broker, "bob").list_topics(topic=topic, timeout=15).topics[topic]
    assert md.error is not None and md.error.name() == "TOPIC_AUTHORIZATION_FAILED", md
    assert md.partitions == {}, md
    assert_logged(broker, offset, audit("bob", "DESCRIBE", "Topic:LITERAL:" + topic, "Metadata"))

    for client in ("confluent-venv", "kafka-python-venv", "aiokafka", "confluent-debian"):
        assert_produce_refused(run(broker, workdir, client, "bob", topic, produce=3))
    for client in CLIENTS:
        out = run(broker, workdir, client, "bob", topic, group=group, consume=3)
        assert out["read"] == [] and out["committed"] is None, out
        assert error_names(out["consume_errors"]) & {"GROUP_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED"}, out
    assert_logged(broker, offset, audit("bob", "DESCRIBE", "Group:LITERAL:" + group, "FindCoordinator"))
    # The records are still alice's three, and her group never committed.
    assert committed_offset(broker, group, topic) == -1001


def test_a_group_of_his_own_does_not_let_bob_read_the_topic(broker, workdir):
    """bob may READ his own group but nothing on the topic: consuming gets TOPIC_AUTHORIZATION_FAILED
    (librdkafka and aiokafka raise it from the Metadata answer). kafka-python 3 raises nothing: it
    logs "Topic … is not authorized for this client" and its group gets no partition of the topic,
    so nothing is read, and the broker logged the refused Metadata."""
    topic, group = new_topic(broker, "denied-topic-"), "g-bob-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), group_acl(group, "bob", AclOperation.READ))
    assert_produced(run(broker, workdir, "confluent-venv", "alice", topic, produce=3), 3)
    for client in ("confluent-venv", "aiokafka", "confluent-debian"):
        out = run(broker, workdir, client, "bob", topic, group=group, consume=3)
        assert out["read"] == [] and "TOPIC_AUTHORIZATION_FAILED" in error_names(out["consume_errors"]), out
    offset = broker.log_size()
    out = run(broker, workdir, "kafka-python-venv", "bob", topic, group=group, consume=3, timeout=4)
    assert out["read"] == [] and out["committed"] is None, out
    assert "Topic %s is not authorized for this client" % topic in out["stderr"], out["stderr"][-2000:]
    assert_logged(broker, offset, audit("bob", "DESCRIBE", "Topic:LITERAL:" + topic, "Metadata"))
    assert committed_offset(broker, group, topic) == -1001


def test_a_read_only_user_is_refused_write_by_the_produce_answer(broker, workdir):
    """bob may READ the topic (so DESCRIBE: the clients send their Produce) but not WRITE: every
    client's Produce is answered TOPIC_AUTHORIZATION_FAILED and the broker logs the WRITE denial;
    he reads alice's records in his group."""
    topic, group = new_topic(broker, "readonly-"), "g-readonly-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), topic_acl(topic, "bob", AclOperation.READ),
          group_acl(group, "bob", AclOperation.READ))
    alice = run(broker, workdir, "confluent-venv", "alice", topic, produce=5)
    assert_produced(alice, 5)
    offset = broker.log_size()
    for client in CLIENTS:
        assert_produce_refused(run(broker, workdir, client, "bob", topic, produce=3))
    assert_logged(broker, offset, audit("bob", "WRITE", "Topic:LITERAL:" + topic, "Produce"))
    assert_consumed(run(broker, workdir, "kafka-python-debian", "bob", topic, group=group, consume=5), alice["expected"])


# ---------------------------------------------------------------- 3. prefixed

def test_prefixed_acls_cover_every_topic_with_the_prefix(broker, workdir):
    """ALLOW alice READ and WRITE on the PREFIXED topic `pre-<id>` and READ on the PREFIXED group:
    she produces to and consumes from `pre-<id>-a…` and `pre-<id>-b…`, not a topic named otherwise,
    nor one that differs in the prefix's last character."""
    prefix = "pre-" + uid()
    a, b = new_topic(broker, prefix + "-a-"), new_topic(broker, prefix + "-b-")
    other, near = new_topic(broker, "other-"), new_topic(broker, prefix[:-1] + "x-")
    grant(broker, topic_acl(prefix, "alice", AclOperation.READ, pattern=ResourcePatternType.PREFIXED),
          topic_acl(prefix, "alice", AclOperation.WRITE, pattern=ResourcePatternType.PREFIXED),
          group_acl(prefix, "alice", AclOperation.READ, pattern=ResourcePatternType.PREFIXED))
    for topic, client in ((a, "confluent-venv"), (b, "kafka-python-venv")):
        out = run(broker, workdir, client, "alice", topic, produce=4, group=prefix + "-group-" + client, consume=4)
        assert_produced(out, 4)
        assert_consumed(out, out["expected"])
    for topic in (other, near):
        assert_produce_refused(run(broker, workdir, "confluent-venv", "alice", topic, produce=2))
        assert_produce_refused(run(broker, workdir, "aiokafka", "alice", topic, produce=2))
    # A group outside the prefix is refused too.
    out = run(broker, workdir, "confluent-venv", "alice", a, group="g-" + uid(), consume=1)
    assert error_names(out["consume_errors"]) == {"GROUP_AUTHORIZATION_FAILED"}, out


# ---------------------------------------------------------------- 4. deny overrides allow

def test_deny_overrides_allow(broker, workdir):
    """ALLOW alice WRITE on the PREFIXED `p-<id>` with DENY alice WRITE on the LITERAL `p-<id>-x…`:
    produce to that topic is refused (audit: the matching DENY ACL), to `p-<id>-y…` allowed. And the
    other way round: ALLOW on a LITERAL topic, DENY on a PREFIXED pattern covering it: refused."""
    prefix = "p-" + uid()
    x, y = new_topic(broker, prefix + "-x-"), new_topic(broker, prefix + "-y-")
    deny_x = topic_acl(x, "alice", AclOperation.WRITE, permission=AclPermissionType.DENY)
    grant(broker, topic_acl(prefix, "alice", AclOperation.WRITE, pattern=ResourcePatternType.PREFIXED), deny_x)
    offset = broker.log_size()
    for client in ("confluent-venv", "kafka-python-venv"):
        assert_produce_refused(run(broker, workdir, client, "alice", x, produce=2))
        assert_produced(run(broker, workdir, client, "alice", y, produce=2), 2)
    # The denial names the DENY ACL as its rule (its exact text: test_audit_line_names_the_matching_acl).
    assert_logged(broker, offset, audit("alice", "WRITE", "Topic:LITERAL:" + x, "Produce", rule="MatchingAcl(acl=StandardAcl"))
    log = broker.log_since(offset, 100000)
    assert "resourceName=%s, patternType=LITERAL, principal=User:alice, host=*, operation=WRITE, permissionType=DENY" % x in log

    z_prefix = "z-" + uid()
    z = new_topic(broker, z_prefix + "-")
    grant(broker, topic_acl(z, "alice", AclOperation.WRITE),
          topic_acl(z_prefix, "alice", AclOperation.WRITE, pattern=ResourcePatternType.PREFIXED, permission=AclPermissionType.DENY))
    assert_produce_refused(run(broker, workdir, "aiokafka", "alice", z, produce=2))
    # DENY WRITE leaves DESCRIBE (implied by the ALLOW WRITE) alone: alice still sees the topic.
    md = admin_client(broker, "alice").list_topics(topic=z, timeout=15).topics[z]
    assert md.error is None and len(md.partitions) == 1, md


def test_audit_line_names_the_matching_acl(broker, workdir):
    """A denial by a DENY ACL is logged with Kafka 3.9's rule text, `MatchingAcl(acl=StandardAcl(…))`
    (StandardAcl.toString in 3.9; Kafka 4.x made StandardAcl a Java record, which prints
    `StandardAcl[…]`)."""
    topic = new_topic(broker, "audit-")
    grant(broker, topic_acl(topic, "alice", AclOperation.DESCRIBE),
          topic_acl(topic, "alice", AclOperation.WRITE, permission=AclPermissionType.DENY))
    offset = broker.log_size()
    assert_produce_refused(run(broker, workdir, "confluent-venv", "alice", topic, produce=1))
    rule = ("MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=%s, patternType=LITERAL, principal=User:alice, "
            "host=*, operation=WRITE, permissionType=DENY))" % topic)
    assert_logged(broker, offset, audit("alice", "WRITE", "Topic:LITERAL:" + topic, "Produce", rule=rule))


# ---------------------------------------------------------------- 5. super user

def test_super_user_needs_no_acl(broker, workdir):
    """admin (super.users) produces to and consumes from a topic and groups no ACL names, and the
    broker logs no denial for him."""
    topic = new_topic(broker, "super-")
    offset = broker.log_size()
    first = run(broker, workdir, "confluent-venv", "admin", topic, produce=5, group="g-super-" + uid(), consume=5)
    assert_produced(first, 5)
    assert_consumed(first, first["expected"])
    second = run(broker, workdir, "kafka-python-debian", "admin", topic, produce=5, group="g-super-" + uid(), consume=10)
    assert_produced(second, 5)
    assert_consumed(second, first["expected"] + second["expected"])
    assert "Principal = User:admin is Denied" not in broker.log_since(offset, 100000)


# ---------------------------------------------------------------- 6. group ACL

def test_consuming_in_a_group_needs_read_on_the_group(broker, workdir):
    """alice may READ the topic. Without any group ACL FindCoordinator refuses her (DESCRIBE Group);
    with DESCRIBE on the group JoinGroup does (READ Group); with READ she consumes and commits."""
    topic, group = new_topic(broker, "group-acl-"), "g-acl-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.READ), topic_acl(topic, "alice", AclOperation.WRITE))
    alice = run(broker, workdir, "confluent-venv", "alice", topic, produce=4)
    assert_produced(alice, 4)

    offset = broker.log_size()
    for client in ("confluent-venv", "kafka-python-venv"):
        out = run(broker, workdir, client, "alice", topic, group=group, consume=4)
        assert out["read"] == [] and error_names(out["consume_errors"]) == {"GROUP_AUTHORIZATION_FAILED"}, out
    assert_logged(broker, offset, audit("alice", "DESCRIBE", "Group:LITERAL:" + group, "FindCoordinator"))

    grant(broker, group_acl(group, "alice", AclOperation.DESCRIBE))
    offset = broker.log_size()
    for client in ("confluent-venv", "kafka-python-venv"):
        out = run(broker, workdir, client, "alice", topic, group=group, consume=4)
        assert out["read"] == [] and error_names(out["consume_errors"]) == {"GROUP_AUTHORIZATION_FAILED"}, out
    assert_logged(broker, offset, audit("alice", "READ", "Group:LITERAL:" + group, "JoinGroup"))
    assert "Group:LITERAL:%s for request = FindCoordinator" % group not in broker.log_since(offset, 100000)

    grant(broker, group_acl(group, "alice", AclOperation.READ))
    assert_consumed(run(broker, workdir, "kafka-python-venv", "alice", topic, group=group, consume=4), alice["expected"])
    assert committed_offset(broker, group, topic) == 4

    # ListGroups lists only the groups one may describe (no error); DescribeGroups refuses per group.
    listers = {user: admin_client(broker, user) for user in ("admin", "alice", "bob")}
    listed = {user: {g.group_id for g in a.list_consumer_groups().result(timeout=30).valid} for user, a in listers.items()}
    assert group in listed["admin"] and group in listed["alice"], listed
    assert group not in listed["bob"], listed
    with pytest.raises(KafkaException) as e:
        listers["bob"].describe_consumer_groups([group])[group].result(timeout=30)
    assert e.value.args[0].name() == "GROUP_AUTHORIZATION_FAILED", e.value
    assert listers["alice"].describe_consumer_groups([group])[group].result(timeout=30).group_id == group


# ---------------------------------------------------------------- 7. ACL administration

def test_acl_administration(broker, workdir):
    """CreateAcls, DescribeAcls and DeleteAcls through confluent-kafka's AdminClient: bob (no ALTER or
    DESCRIBE on the cluster) is refused all three with CLUSTER_AUTHORIZATION_FAILED; admin's
    DescribeAcls returns exactly the bindings created for a filter (LITERAL, PREFIXED, MATCH, by
    principal, by operation); DeleteAcls returns and removes what a filter matches, after which alice
    is refused again; ALTER on the cluster lets alice administer ACLs herself."""
    from kafka import KafkaAdminClient
    from kafka.admin import ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePatternFilter
    from kafka.admin import ResourceType as KResourceType

    name = "acl-" + uid()
    topic = new_topic(broker, name + "-")
    bindings = {
        "read": topic_acl(topic, "alice", AclOperation.READ),
        "write": topic_acl(topic, "alice", AclOperation.WRITE),
        "deny-prefixed": topic_acl(name, "bob", AclOperation.DESCRIBE, pattern=ResourcePatternType.PREFIXED,
                                   permission=AclPermissionType.DENY),
        "group": group_acl(name, "alice", AclOperation.READ, pattern=ResourcePatternType.PREFIXED),
        "host": topic_acl(topic, "bob", AclOperation.DESCRIBE, host="10.0.0.1"),
    }

    # bob may not.
    offset = broker.log_size()
    bob = admin_client(broker, "bob")
    for binding, f in bob.create_acls([bindings["read"]]).items():
        with pytest.raises(Exception) as e:
            f.result(timeout=30)
        assert e.value.args[0].name() == "CLUSTER_AUTHORIZATION_FAILED", e.value
    any_filter = name_filter(None)
    for flt, f in bob.delete_acls([any_filter]).items():
        with pytest.raises(Exception) as e:
            f.result(timeout=30)
        assert e.value.args[0].name() == "CLUSTER_AUTHORIZATION_FAILED", e.value
    kp = KafkaAdminClient(bootstrap_servers=broker.sasl_bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                          sasl_plain_username="bob", sasl_plain_password=USERS["bob"])
    try:
        with pytest.raises(Exception) as e:
            kp.describe_acls(ACLFilter(principal=None, host="*", operation=ACLOperation.ANY, permission_type=ACLPermissionType.ANY,
                                       resource_pattern=ResourcePatternFilter(KResourceType.ANY, None, ACLResourcePatternType.ANY)))
        assert type(e.value).__name__ == "ClusterAuthorizationFailedError", repr(e.value)
    finally:
        kp.close()
    for op, request in (("ALTER", "CreateAcls"), ("ALTER", "DeleteAcls"), ("DESCRIBE", "DescribeAcls")):
        assert_logged(broker, offset, audit("bob", op, "Cluster:LITERAL:kafka-cluster", request))
    assert described(broker, name_filter(topic)) == set(), "bob's refused CreateAcls created something"

    # admin creates; creating the same binding again adds nothing.
    grant(broker, *bindings.values())
    grant(broker, bindings["read"])
    everything = set(bindings.values())
    assert described(broker, name_filter(topic)) | described(broker, name_filter(name)) == everything
    assert described(broker, name_filter(topic)) == {bindings["read"], bindings["write"], bindings["host"]}
    assert described(broker, name_filter(name, pattern=ResourcePatternType.PREFIXED)) == {bindings["deny-prefixed"], bindings["group"]}
    assert described(broker, name_filter(name, ResourceType.GROUP)) == {bindings["group"]}
    # MATCH: the ACLs that apply to the topic: its LITERAL ones and the PREFIXED one covering it.
    assert described(broker, name_filter(topic, ResourceType.TOPIC, ResourcePatternType.MATCH)) == {
        bindings["read"], bindings["write"], bindings["host"], bindings["deny-prefixed"]}
    assert described(broker, name_filter(topic, principal="User:bob")) == {bindings["host"]}
    assert described(broker, name_filter(topic, operation=AclOperation.WRITE)) == {bindings["write"]}

    # The bindings work: alice produces; bob (DENY DESCRIBE on the prefix) does not see the topic.
    assert_produced(run(broker, workdir, "confluent-venv", "alice", topic, produce=2), 2)
    md = admin_client(broker, "bob").list_topics(topic=topic, timeout=15).topics[topic]
    assert md.error is not None and md.error.name() == "TOPIC_AUTHORIZATION_FAILED", md

    # DeleteAcls returns what each filter matched, and it is gone.
    deleted = revoke(broker, name_filter(topic, ResourceType.TOPIC, ResourcePatternType.LITERAL, principal="User:alice"))
    assert [set(v) for v in deleted.values()] == [{bindings["read"], bindings["write"]}], deleted
    assert described(broker, name_filter(topic)) == {bindings["host"]}
    assert_produce_refused(run(broker, workdir, "confluent-venv", "alice", topic, produce=2))
    # A filter that matches nothing deletes nothing.
    deleted = revoke(broker, name_filter(topic, ResourceType.TOPIC, ResourcePatternType.LITERAL, principal="User:carol"))
    assert [list(v) for v in deleted.values()] == [[]], deleted
    deleted = revoke(broker, name_filter(topic), name_filter(name))
    assert set().union(*map(set, deleted.values())) == {bindings["host"], bindings["deny-prefixed"], bindings["group"]}, deleted
    assert described(broker, name_filter(topic)) | described(broker, name_filter(name)) == set()

    # ALTER on the cluster makes alice an ACL administrator (DESCRIBE is implied by ALTER).
    alter = cluster_acl("alice", AclOperation.ALTER)
    grant(broker, alter)
    alice = admin_client(broker, "alice")
    try:
        mine = topic_acl(topic, "alice", AclOperation.WRITE)
        for _, f in alice.create_acls([mine]).items():
            assert f.result(timeout=30) is None
        assert described(broker, name_filter(topic), user="alice") == {mine}
        assert_produced(run(broker, workdir, "confluent-venv", "alice", topic, produce=2), 2)
        for _, f in alice.delete_acls([name_filter(topic)]).items():
            assert list(f.result(timeout=30)) == [mine]
    finally:
        revoke(broker, name_filter("kafka-cluster", ResourceType.BROKER, principal="User:alice"))
    assert described(broker, name_filter("kafka-cluster", ResourceType.BROKER, principal="User:alice")) == set()
    for _, f in alice.create_acls([topic_acl(topic, "alice", AclOperation.READ)]).items():
        with pytest.raises(Exception) as e:
            f.result(timeout=30)
        assert e.value.args[0].name() == "CLUSTER_AUTHORIZATION_FAILED", e.value


# ---------------------------------------------------------------- 8. idempotent producer

@pytest.mark.parametrize("client", IDEMPOTENT_CLIENTS)
def test_idempotent_producer_needs_write_somewhere(broker, workdir, client):
    """InitProducerId without a transactional id is allowed with IDEMPOTENT_WRITE on the cluster or
    WRITE on some topic: alice (WRITE on the topic) produces with enable.idempotence=true; bob (READ
    on the topic only, no WRITE anywhere) gets CLUSTER_AUTHORIZATION_FAILED from InitProducerId,
    promptly (librdkafka: a fatal error), and nothing is written."""
    topic = new_topic(broker, "idem-")
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), topic_acl(topic, "bob", AclOperation.READ))
    assert_produced(run(broker, workdir, client, "alice", topic, produce=3, idempotent=True), 3)
    offset = broker.log_size()
    start = time.time()
    out = run(broker, workdir, client, "bob", topic, produce=3, idempotent=True)
    assert_produce_refused(out, "CLUSTER_AUTHORIZATION_FAILED")
    assert time.time() - start < 10, "bob's refusal took %.1f s: %s" % (time.time() - start, out)
    if client.startswith("confluent"):
        assert any(e["fatal"] and e["name"] == "CLUSTER_AUTHORIZATION_FAILED" for e in out["produce_errors"]), out
    # Strom's own line (Kafka logs nothing: both checks have logIfDenied=false); no WRITE denial, as
    # no Produce was sent.
    log = broker.wait_for_log(offset, IDEMPOTENT_REFUSED)
    assert any(IDEMPOTENT_REFUSED in l and "kafka.principal=User:bob " in l for l in log.splitlines()), log[-3000:]
    assert audit("bob", "WRITE", "Topic:LITERAL:" + topic, "Produce") not in broker.log_since(offset, 100000)


def test_idempotent_write_on_the_cluster_is_enough_for_init_producer_id(broker, workdir):
    """With IDEMPOTENT_WRITE on the cluster bob's idempotent producer gets its producer id; the
    topic still refuses his records (TOPIC_AUTHORIZATION_FAILED, not a cluster error)."""
    topic = new_topic(broker, "idem-cluster-")
    grant(broker, topic_acl(topic, "bob", AclOperation.READ))
    grant(broker, cluster_acl("bob", AclOperation.IDEMPOTENT_WRITE))
    try:
        offset = broker.log_size()
        out = run(broker, workdir, "confluent-venv", "bob", topic, produce=3, idempotent=True)
        assert_produce_refused(out, "TOPIC_AUTHORIZATION_FAILED")
        assert "CLUSTER_AUTHORIZATION_FAILED" not in error_names(out["produce_errors"]), out
        assert_logged(broker, offset, audit("bob", "WRITE", "Topic:LITERAL:" + topic, "Produce"))
        assert IDEMPOTENT_REFUSED not in broker.log_since(offset, 100000)
    finally:
        revoke(broker, name_filter("kafka-cluster", ResourceType.BROKER, principal="User:bob"))


# ---------------------------------------------------------------- 9. allow.everyone.if.no.acl.found

def test_module_broker_has_no_anonymous_warning(broker):
    """User:ANONYMOUS is a super user here, so the broker does not warn about the node's own
    PLAINTEXT requests."""
    assert "==== interop: start" in broker.log_tail(400)
    assert ANONYMOUS_WARNING not in broker.log_since(0, 100000)


def test_allow_everyone_if_no_acl_found(workdir):
    """A second broker with allow.everyone.if.no.acl.found=true and only User:admin a super user
    (so it warns about User:ANONYMOUS at start-up): bob produces to and consumes from a topic and a
    group no ACL names (rule DefaultAllow), but not to a topic that has an ACL for alice (DefaultDeny)."""
    b = start_acl_broker(workdir / "broker-allow-everyone", **{"allow.everyone.if.no.acl.found": "true", "super.users": "User:admin"})
    try:
        assert_logged(b, 0, ANONYMOUS_WARNING)
        free, guarded = new_topic(b, "free-"), new_topic(b, "guarded-")
        grant(b, topic_acl(guarded, "alice", AclOperation.READ))
        out = run(b, workdir, "confluent-venv", "bob", free, produce=3, group="g-free-" + uid(), consume=3)
        assert_produced(out, 3)
        assert_consumed(out, out["expected"])
        assert_produced(run(b, workdir, "kafka-python-venv", "bob", free, produce=3), 3)
        offset = b.log_size()
        assert_produce_refused(run(b, workdir, "confluent-venv", "bob", guarded, produce=3))
        assert_logged(b, offset, audit("bob", "DESCRIBE", "Topic:LITERAL:" + guarded, "Metadata"))
        listed = admin_client(b, "bob").list_topics(timeout=15).topics
        assert free in listed and guarded not in listed, sorted(listed)
        # alice's ACL lets her read, and nothing else: WRITE is DefaultDeny for her too.
        assert_produce_refused(run(b, workdir, "confluent-venv", "alice", guarded, produce=1))
        assert_logged(b, offset, audit("alice", "WRITE", "Topic:LITERAL:" + guarded, "Produce"))
    finally:
        b.stop()
    assert not b.problems, b.problems


# ---------------------------------------------------------------- 10. topic administration

def create_topic_error(admin, name):
    """CreateTopics of one 1-partition topic; the error name, or None when it was created."""
    try:
        admin.create_topics([NewTopic(name, 1, 1)])[name].result(timeout=30)
        return None
    except KafkaException as e:
        return e.args[0].name()


def delete_topic_error(admin, name):
    try:
        admin.delete_topics([name])[name].result(timeout=30)
        return None
    except KafkaException as e:
        return e.args[0].name()


def test_topic_administration_needs_create_and_delete(broker, workdir):
    """CreateTopics needs CREATE on the cluster or the topic, and so does a producer's auto-creation
    through Metadata; DeleteTopics needs DELETE on the topic, and without DESCRIBE the answer is
    TOPIC_AUTHORIZATION_FAILED whether the topic exists or not (Kafka hides existence)."""
    prefix = "adm-" + uid()
    alice, bob = admin_client(broker, "alice"), admin_client(broker, "bob")
    offset = broker.log_size()
    assert create_topic_error(alice, prefix + "-one") == "TOPIC_AUTHORIZATION_FAILED"
    assert_logged(broker, offset, audit("alice", "CREATE", "Topic:LITERAL:%s-one" % prefix, "CreateTopics"))
    assert prefix + "-one" not in admin_client(broker).list_topics(timeout=15).topics

    # Auto-creation: WRITE (so DESCRIBE) but no CREATE: the producer's Metadata refuses to create.
    grant(broker, topic_acl(prefix, "alice", AclOperation.WRITE, pattern=ResourcePatternType.PREFIXED))
    offset = broker.log_size()
    assert_produce_refused(run(broker, workdir, "confluent-venv", "alice", prefix + "-auto1", produce=1))
    assert_logged(broker, offset, audit("alice", "CREATE", "Topic:LITERAL:%s-auto1" % prefix, "Metadata"))
    assert prefix + "-auto1" not in admin_client(broker).list_topics(timeout=15).topics

    grant(broker, topic_acl(prefix, "alice", AclOperation.CREATE, pattern=ResourcePatternType.PREFIXED))
    assert create_topic_error(alice, prefix + "-one") is None
    assert create_topic_error(alice, "elsewhere-" + uid()) == "TOPIC_AUTHORIZATION_FAILED"
    assert_produced(run(broker, workdir, "confluent-venv", "alice", prefix + "-auto2", produce=2), 2)
    assert prefix + "-auto2" in admin_client(broker).list_topics(timeout=15).topics

    # Deleting: bob may not describe, so existing or not it is TOPIC_AUTHORIZATION_FAILED.
    assert delete_topic_error(bob, prefix + "-one") == "TOPIC_AUTHORIZATION_FAILED"
    assert delete_topic_error(bob, prefix + "-never-created") == "TOPIC_AUTHORIZATION_FAILED"
    # alice may describe (WRITE) but not delete.
    assert delete_topic_error(alice, prefix + "-one") == "TOPIC_AUTHORIZATION_FAILED"
    grant(broker, topic_acl(prefix, "alice", AclOperation.DELETE, pattern=ResourcePatternType.PREFIXED))
    assert delete_topic_error(alice, prefix + "-never-created") == "UNKNOWN_TOPIC_OR_PART"  # librdkafka's name for UNKNOWN_TOPIC_OR_PARTITION
    assert delete_topic_error(alice, prefix + "-one") is None
    deadline = time.time() + 15
    while prefix + "-one" in admin_client(broker).list_topics(timeout=15).topics:
        assert time.time() < deadline, "%s-one still listed 15 s after DeleteTopics" % prefix
        time.sleep(0.1)


# ---------------------------------------------------------------- 11. transactions

def init_transactions_error(broker, user, txn_id):
    """A transactional confluent-kafka 2.16 producer's init_transactions; the error name, or None."""
    from confluent_kafka import Producer
    p = Producer(dict(sasl_conf(broker, user), **{"transactional.id": txn_id}))
    try:
        p.init_transactions(15)
        return None, p
    except KafkaException as e:
        return e.args[0].name(), p


def test_transactions_need_write_on_the_transactional_id(broker, workdir):
    """A transactional producer needs DESCRIBE on its transactional id for FindCoordinator and WRITE
    for InitProducerId (and the rest of the transaction); with WRITE on the id and the topic alice
    commits a transaction, and a read_committed reader sees it."""
    from confluent_kafka import Consumer
    topic, txn_id = new_topic(broker, "txn-"), "tx-" + uid()
    grant(broker, topic_acl(topic, "alice", AclOperation.WRITE), topic_acl(topic, "alice", AclOperation.READ))

    offset = broker.log_size()
    error, _ = init_transactions_error(broker, "alice", txn_id)
    assert error == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", error
    assert_logged(broker, offset, audit("alice", "DESCRIBE", "TransactionalId:LITERAL:" + txn_id, "FindCoordinator"))

    grant(broker, acl(ResourceType.TRANSACTIONAL_ID, txn_id, "alice", AclOperation.DESCRIBE))
    offset = broker.log_size()
    error, _ = init_transactions_error(broker, "alice", txn_id)
    assert error == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", error
    assert_logged(broker, offset, audit("alice", "WRITE", "TransactionalId:LITERAL:" + txn_id, "InitProducerId"))

    grant(broker, acl(ResourceType.TRANSACTIONAL_ID, txn_id, "alice", AclOperation.WRITE))
    error, p = init_transactions_error(broker, "alice", txn_id)
    assert error is None, error
    p.begin_transaction()
    delivered = []
    for i in range(3):
        p.produce(topic, b"txn-%d" % i, partition=0, on_delivery=lambda err, m: delivered.append(err))
    p.commit_transaction(15)
    assert delivered == [None, None, None], delivered
    c = Consumer(dict(sasl_conf(broker, "admin"), **{"group.id": "g-txn-" + uid(), "isolation.level": "read_committed",
                                                     "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        read, deadline = [], time.time() + 15
        while len(read) < 3 and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and m.error() is None:
                read.append(m.value())
        assert read == [b"txn-0", b"txn-1", b"txn-2"], read
    finally:
        c.close()
    # bob: no ACL on the id, so not even its coordinator.
    error, _ = init_transactions_error(broker, "bob", txn_id)
    assert error == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", error

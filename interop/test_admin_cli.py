"""`strom topics`, `consumer-groups`, `configs`, `metadata-quorum` and `cluster-id`: the real binary's
admin CLI against a real strom node, cross-checked with confluent-kafka's AdminClient, producer and
consumer. Every wait is on an event (a delivery report, an assignment, a record) with a deadline."""
import subprocess
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from broker import strom_binary


def cli(broker, tool, *args, check=True):
    p = subprocess.run([str(strom_binary()), tool, "--bootstrap-server", broker.bootstrap, *args],
                       capture_output=True, text=True, timeout=60)
    if check:
        assert p.returncode == 0, "strom %s %s: %d\n%s\n%s" % (tool, " ".join(args), p.returncode, p.stdout, p.stderr)
    return p


def name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def produce(broker, topic, per_partition):
    """Writes per_partition[p] records to each partition p and waits for every delivery report."""
    p = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    failures = []
    for part, n in enumerate(per_partition):
        for i in range(n):
            p.produce(topic, key=b"k%d" % i, value=b"v%d-%d" % (part, i), partition=part,
                      on_delivery=lambda err, msg: err and failures.append(err))
    assert p.flush(30) == 0
    assert not failures


def consumer(broker, group, **extra):
    conf = {"bootstrap.servers": broker.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False}
    conf.update(extra)
    return Consumer(conf)


def poll_until(c, predicate, what, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        msg = c.poll(0.2)
        if predicate(msg):
            return msg
    raise AssertionError("timed out waiting for " + what)


def describe_rows(out):
    """The offsets table of `--describe` as lists of cells, without the header."""
    lines = [l.split() for l in out.split("\n") if l.strip()]
    assert lines[0] == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    return lines[1:]


def test_cli_created_topic_is_seen_by_confluent_admin_and_the_reverse(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    t = name("cli-topic")
    out = cli(broker, "topics", "--create", "--topic", t, "--partitions", "4", "--replication-factor", "1",
              "--config", "retention.ms=123456", "--config", "max.message.bytes=65536").stdout
    assert out == "Created topic %s.\n" % t
    md = admin.list_topics(t, timeout=10)
    assert sorted(md.topics[t].partitions) == [0, 1, 2, 3]
    res = ConfigResource("topic", t)
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["retention.ms"].value == "123456" and not configs["retention.ms"].is_default
    assert configs["max.message.bytes"].value == "65536"

    # Created by confluent-kafka, described by the CLI.
    t2 = name("lib-topic")
    admin.create_topics([NewTopic(t2, num_partitions=2, replication_factor=1, config={"cleanup.policy": "compact"})])[t2].result(timeout=10)
    lines = cli(broker, "topics", "--describe", "--topic", t2).stdout.splitlines()
    # librdkafka prints topic ids in standard base64; Kafka (and strom) in URL-safe base64.
    topic_id = str(admin.describe_topics(TopicCollection([t2]))[t2].result(timeout=10).topic_id).replace("+", "-").replace("/", "_")
    assert lines[0] == "Topic: %s\tTopicId: %s\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: cleanup.policy=compact" % (t2, topic_id)
    assert lines[1] == "\tTopic: %s\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: " % t2
    assert len(lines) == 3

    # --alter grows it, as confluent-kafka then sees; --delete removes it.
    cli(broker, "topics", "--alter", "--topic", t2, "--partitions", "5")
    assert len(admin.list_topics(t2, timeout=10).topics[t2].partitions) == 5
    cli(broker, "topics", "--delete", "--topic", t2)
    assert t2 not in cli(broker, "topics", "--list").stdout.split()
    refused = cli(broker, "topics", "--create", "--topic", t, "--partitions", "1", check=False)
    assert refused.returncode == 1 and refused.stdout == "Error while executing topic command : Topic '%s' already exists.\n" % t


def test_describe_lag_matches_what_was_produced_and_committed(broker):
    t, g = name("lag"), name("lag-group")
    cli(broker, "topics", "--create", "--topic", t, "--partitions", "3")
    produce(broker, t, [10, 5, 0])
    c = consumer(broker, g)
    c.commit(offsets=[TopicPartition(t, 0, 4), TopicPartition(t, 1, 5)], asynchronous=False)
    committed = {tp.partition: tp.offset for tp in c.committed([TopicPartition(t, p) for p in range(3)], timeout=10)}
    ends = {p: c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1] for p in range(3)}
    c.close()
    p = cli(broker, "consumer-groups", "--describe", "--group", g)
    assert "Consumer group '%s' has no active members." % g in p.stderr
    rows = describe_rows(p.stdout)
    assert [r[:6] for r in rows] == [[g, t, "0", str(committed[0]), str(ends[0]), str(ends[0] - committed[0])],
                                     [g, t, "1", str(committed[1]), str(ends[1]), str(ends[1] - committed[1])]]
    assert (committed[0], ends[0], committed[1], ends[1]) == (4, 10, 5, 5)


def test_reset_offsets_execute_makes_a_consumer_resume_there(broker):
    t, g = name("reset"), name("reset-group")
    cli(broker, "topics", "--create", "--topic", t, "--partitions", "1")
    produce(broker, t, [20])

    # A live member: the reset is refused and nothing is committed.
    c = consumer(broker, g)
    c.subscribe([t])
    poll_until(c, lambda m: m is not None and m.error() is None and m.offset() == 19, "the 20th record")
    c.commit(asynchronous=False)
    p = cli(broker, "consumer-groups", "--reset-offsets", "--group", g, "--topic", t, "--to-offset", "7", "--execute", check=False)
    assert ("Error: Assignments can only be reset if the group '%s' is inactive, but the current state is Stable." % g) in p.stdout
    rows = describe_rows(cli(broker, "consumer-groups", "--describe", "--group", g).stdout)
    assert rows[0][:6] == [g, t, "0", "20", "20", "0"]
    assert rows[0][6] != "-"  # the member's id
    c.close()

    # Inactive: the dry run changes nothing, --execute commits, a new member resumes there.
    dry = cli(broker, "consumer-groups", "--reset-offsets", "--group", g, "--topic", t, "--to-offset", "7", "--dry-run").stdout
    assert [l.split() for l in dry.splitlines() if l.strip()] == [["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], [g, t, "0", "7"]]
    probe = consumer(broker, g)
    assert probe.committed([TopicPartition(t, 0)], timeout=10)[0].offset == 20
    probe.close()
    cli(broker, "consumer-groups", "--reset-offsets", "--group", g, "--topic", "%s:0" % t, "--to-offset", "7", "--execute")
    c2 = consumer(broker, g)
    assert c2.committed([TopicPartition(t, 0)], timeout=10)[0].offset == 7
    c2.subscribe([t])
    first = poll_until(c2, lambda m: m is not None and m.error() is None, "a record after the reset")
    assert first.offset() == 7 and first.value() == b"v0-7"
    c2.close()

    # --shift-by and --to-earliest from what is committed now.
    cli(broker, "consumer-groups", "--reset-offsets", "--group", g, "--all-topics", "--shift-by", "-5", "--execute")
    c3 = consumer(broker, g)
    assert c3.committed([TopicPartition(t, 0)], timeout=10)[0].offset == 2
    c3.close()
    cli(broker, "consumer-groups", "--delete", "--group", g)
    assert g not in cli(broker, "consumer-groups", "--list").stdout.split()


def test_configs_alter_is_seen_by_confluent_admin(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    t = name("cfg")
    cli(broker, "topics", "--create", "--topic", t)
    out = cli(broker, "configs", "--alter", "--entity-type", "topics", "--entity-name", t,
              "--add-config", "retention.ms=5000,cleanup.policy=[compact,delete]").stdout
    assert out == "Completed updating config for topic %s.\n" % t
    res = ConfigResource("topic", t)
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["retention.ms"].value == "5000"
    assert configs["cleanup.policy"].value == "compact,delete"
    cli(broker, "configs", "--alter", "--topic", t, "--delete-config", "retention.ms")
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["retention.ms"].is_default
    described = cli(broker, "configs", "--describe", "--topic", t).stdout.splitlines()
    assert described[0] == "Dynamic configs for topic %s are:" % t
    assert described[1].startswith("  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete")
    assert len(described) == 2

    user = name("user")
    cli(broker, "configs", "--alter", "--entity-type", "users", "--entity-name", user,
        "--add-config", "SCRAM-SHA-512=[iterations=8192,password=pw]")
    scram = admin.describe_user_scram_credentials([user])[user].result(timeout=10)
    assert [(str(i.mechanism), i.iterations) for i in scram.scram_credential_infos] in ([("ScramMechanism.SCRAM_SHA_512", 8192)], [("SCRAM_SHA_512", 8192)])
    assert cli(broker, "configs", "--describe", "--user", user).stdout == \
        "SCRAM credential configs for user-principal '%s' are SCRAM-SHA-512=iterations=8192\n" % user


def test_metadata_quorum_and_cluster_id_agree_with_the_cluster(broker):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    cluster_id = admin.list_topics(timeout=10).cluster_id
    assert cli(broker, "cluster-id").stdout == "Cluster ID: %s\n" % cluster_id
    status = cli(broker, "metadata-quorum", "describe", "--status").stdout.splitlines()
    assert status[0] == "ClusterId:              %s" % cluster_id
    assert status[1] == "LeaderId:               1"
    assert status[6].startswith('CurrentVoters:          [{"id": 1, ')
    table = cli(broker, "metadata-quorum", "describe", "--replication").stdout.splitlines()
    assert table[0].split("\t")[:7] == ["NodeId", "DirectoryId           ", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"]
    assert table[1].split("\t")[0].strip() == "1" and table[1].split("\t")[6].strip() == "Leader"
    # Through the controller listener (KIP-919's --bootstrap-controller), as Kafka's tools allow.
    controller = "127.0.0.1:%d" % broker.controller_port
    for tool, args in [("cluster-id", []), ("metadata-quorum", ["describe", "--status"])]:
        p = subprocess.run([str(strom_binary()), tool, "--bootstrap-controller", controller, *args],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert cluster_id in p.stdout.splitlines()[0], p.stdout


def test_configs_cluster_default_reaches_topics_and_producers(fresh_broker):
    """`--entity-type brokers --entity-default` (KIP-226's cluster default, which librdkafka's admin API
    cannot address): a topic without its own value follows it at once, a producer feels it, and a
    static key is refused with Kafka's message."""
    b = fresh_broker
    t = name("dflt")
    cli(b, "topics", "--create", "--topic", t, "--partitions", "1")
    out = cli(b, "configs", "--alter", "--entity-type", "brokers", "--entity-default",
              "--add-config", "message.max.bytes=2000,log.retention.hours=2").stdout
    assert out == "Completed updating default config for brokers in the cluster.\n"
    described = cli(b, "configs", "--describe", "--entity-type", "brokers", "--entity-default").stdout.splitlines()
    assert described[0] == "Default configs for brokers in the cluster are:"
    assert sorted(l.split()[0] for l in described[1:]) == ["log.retention.hours=2", "message.max.bytes=2000"]
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    res = ConfigResource("topic", t)
    configs = admin.describe_configs([res])[res].result(timeout=10)
    assert configs["max.message.bytes"].value == "2000" and configs["retention.ms"].value == "7200000"

    def produce_one(size):
        p = Producer({"bootstrap.servers": b.bootstrap, "message.max.bytes": 10_000_000})
        outcome = []
        p.produce(t, b"x" * size, on_delivery=lambda err, msg: outcome.append(err))
        assert p.flush(30) == 0
        return outcome[0]

    err = produce_one(3000)
    assert err is not None and err.name() == "MSG_SIZE_TOO_LARGE", err
    cli(b, "configs", "--alter", "--entity-type", "brokers", "--entity-default", "--delete-config", "message.max.bytes")
    assert produce_one(3000) is None

    refused = cli(b, "configs", "--alter", "--entity-type", "brokers", "--entity-name", "1", "--add-config", "log.dirs=/x", check=False)
    assert refused.returncode != 0 and "Cannot update these configs dynamically: Set(log.dirs)" in refused.stdout + refused.stderr

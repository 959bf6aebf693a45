"""Admin clients frozen at old protocol versions: sarama 1.22's ClusterAdmin (Debian's
golang-github-shopify-sarama-dev), which creates topics with CreateTopics v2, lists them with
Metadata and DescribeConfigs v0, describes a topic's configuration with DescribeConfigs v0 and
deletes with DeleteTopics v1. Kafka 3.9 serves all of them; before Strom served DescribeConfigs v0,
ListTopics and DescribeConfig failed on a closed connection."""
import uuid

from clients import CLIENTS


def test_sarama_cluster_admin_creates_lists_describes_and_deletes(fresh_broker, workdir):
    topic = "sarama-admin-" + uuid.uuid4().hex[:8]
    spec = {"bootstrap": fresh_broker.bootstrap, "topic": topic, "create": {"Partitions": 3}, "timeout": 60}
    rc, result, log = CLIENTS["sarama"].run("admin", spec, workdir, "sarama-admin")
    assert result is not None, log[-3000:]
    r = result["admin"]
    assert r["created"] == "", r
    assert r["list_error"] == "" and r["listed"] and r["listed_partitions"] == 3, r
    # ListTopics reads every topic's configuration with DescribeConfigs v0: the override is there.
    assert r["listed_configs"].get("retention.ms") == "3600000", r["listed_configs"]
    assert r["describe_error"] == "" and r["described"]["retention.ms"] == "3600000", r
    # v0 says which values are defaults (IsDefault): the override is not, cleanup.policy is.
    assert "cleanup.policy" in r["default_keys"] and "retention.ms" not in r["default_keys"], r["default_keys"]
    assert r["deleted"] == "" and not r["listed_after_delete"] and r["list_after_error"] == "", r
    assert rc == 0, log[-3000:]


def test_librdkafka_alter_configs_replaces_a_topics_overrides(fresh_broker):
    """AlterConfigs (key 33, the legacy form librdkafka's `alter_configs` sends): the topic's
    overrides become exactly the ones given; the others go back to their defaults."""
    import warnings
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    topic = "legacy-alter-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": fresh_broker.bootstrap})
    for f in admin.create_topics([NewTopic(topic, 1, 1, config={"retention.ms": "3600000", "cleanup.policy": "compact"})]).values():
        f.result(timeout=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated in favour of incremental_alter_configs, still sent by many tools
        for f in admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.ms": "7200000", "segment.ms": "600000"})]).values():
            f.result(timeout=30)
    described = list(admin.describe_configs([ConfigResource("topic", topic)]).values())[0].result(timeout=30)
    assert described["retention.ms"].value == "7200000"
    assert described["segment.ms"].value == "600000"
    # Not named: back to the default, whose source says so.
    assert described["cleanup.policy"].value == "delete" and described["cleanup.policy"].is_default


def test_dynamic_broker_configs_with_librdkafka(fresh_broker, workdir):
    """KIP-226 with confluent-kafka 2.16's AdminClient (librdkafka addresses broker resources by node id
    only; the cluster default is in the Swift tests): this node's message.max.bytes set with
    IncrementalAlterConfigs reaches a topic without its own value and a producer feels it at once; the
    legacy AlterConfigs then replaces the node's set with librdkafka test 0081's Kerberos key. A static
    key is refused."""
    from confluent_kafka import KafkaException, Producer
    from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource,
                                       NewTopic)
    import warnings
    topic = "dyn-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": fresh_broker.bootstrap})
    for f in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        f.result(timeout=30)

    def incremental(name, key, value):
        resource = ConfigResource("broker", name, incremental_configs=[
            ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)])
        return list(admin.incremental_alter_configs([resource]).values())[0]

    def topic_value(key):
        return list(admin.describe_configs([ConfigResource("topic", topic)]).values())[0].result(timeout=30)[key]

    def produce(size):
        p = Producer({"bootstrap.servers": fresh_broker.bootstrap, "message.max.bytes": 10_000_000, "linger.ms": 0})
        outcome = {}
        p.produce(topic, b"x" * size, on_delivery=lambda err, msg: outcome.setdefault("err", err))
        p.flush(30)
        return outcome.get("err")

    assert produce(3000) is None
    incremental("1", "message.max.bytes", "2000").result(timeout=30)
    entry = topic_value("max.message.bytes")
    assert entry.value == "2000" and entry.source == ConfigSource.DYNAMIC_BROKER_CONFIG.value, (entry.value, entry.source)
    err = produce(3000)
    assert err is not None and err.name() == "MSG_SIZE_TOO_LARGE", err

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy AlterConfigs, as librdkafka's test 0081 sends it
        legacy = ConfigResource("broker", "1", set_config={"sasl.kerberos.min.time.before.relogin": "58000"})
        list(admin.alter_configs([legacy]).values())[0].result(timeout=30)
    described = list(admin.describe_configs([ConfigResource("broker", "1")]).values())[0].result(timeout=30)
    kerberos = described["sasl.kerberos.min.time.before.relogin"]
    assert kerberos.value == "58000" and kerberos.source == ConfigSource.DYNAMIC_BROKER_CONFIG.value
    # The legacy form replaced the node's set: message.max.bytes is back to its static value.
    assert described["message.max.bytes"].source != ConfigSource.DYNAMIC_BROKER_CONFIG.value
    assert described["log.dirs"].is_read_only and not described["message.max.bytes"].is_read_only
    assert produce(3000) is None

    # (Another node's resource goes to that node: librdkafka routes it there itself; DynamicBrokerConfigTests.)
    try:
        incremental("1", "log.dirs", "/elsewhere").result(timeout=30)
        raise AssertionError("a dynamic log.dirs was accepted")
    except KafkaException as e:
        assert e.args[0].name() == "INVALID_REQUEST", e
        assert "Cannot update these configs dynamically" in e.args[0].str(), e

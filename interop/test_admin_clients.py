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

"""`kcat -L` (librdkafka 2.0.2, Metadata v4) lists the broker and the topics, both for all
topics and for one."""
import json
import subprocess

import kcat
from clients import CLIENTS
from records import make_records
from steps import produce_and_check


def kcat_list(broker, *extra):
    cmd = [kcat.binary(), "-b", broker.bootstrap, "-L", "-J", "-m", "15"] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=40)
    assert p.returncode == 0, "%s exited %d: %s" % (" ".join(cmd), p.returncode, p.stderr)
    return json.loads(p.stdout)


def check_topic(md, name, partitions):
    topics = {t["topic"]: t for t in md["topics"]}
    assert name in topics, "topic %s not listed; listed: %s" % (name, sorted(topics))
    t = topics[name]
    assert "error" not in t, "topic %s listed with error %r" % (name, t.get("error"))
    assert sorted(p["partition"] for p in t["partitions"]) == list(range(partitions)), t
    for p in t["partitions"]:
        assert p["leader"] == md["brokers"][0]["id"], "partition without the only broker as leader: %r" % p
        assert [r["id"] for r in p["replicas"]] == [p["leader"]], p
        assert [r["id"] for r in p["isrs"]] == [p["leader"]], p


def test_kcat_lists_broker_and_topics(broker, workdir):
    created, auto = "meta-admin-created", "meta-auto-created"
    produce_and_check(CLIENTS["confluent-venv"], broker, created, make_records(created, 4)[:4], "none", True,
                      workdir, create_partitions=4, tag="create")
    produce_and_check(CLIENTS["kcat"], broker, auto, make_records(auto, 1)[:1], "none", False, workdir,
                      tag="auto-create")

    md = kcat_list(broker)
    assert [(b["id"], b["name"]) for b in md["brokers"]] == [(1, broker.bootstrap)], md["brokers"]
    check_topic(md, created, 4)
    check_topic(md, auto, 3)  # num.partitions=3 for auto-created topics

    one = kcat_list(broker, "-t", created)
    assert [t["topic"] for t in one["topics"]] == [created], one["topics"]
    check_topic(one, created, 4)

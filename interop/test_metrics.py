"""The metrics and health listener (`strom.metrics.listener`) read the way operators read it:
`/metrics` parsed with Prometheus' own Python text parser (prometheus_client), after real clients
produced, consumed and committed; `/health/live` and `/health/ready` as an orchestrator polls them,
including a node that cannot be ready (a lone voter of three: no quorum leader)."""
import time
import urllib.error
import urllib.request
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from quorum import Cluster


def get(url, timeout=10):
    """(status, body) of a GET; an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def families(broker):
    status, body = get(broker.metrics_url + "/metrics")
    assert status == 200, body[:500]
    return {f.name: f for f in text_string_to_metric_families(body)}


def value(fams, family, sample_name=None, **labels):
    """The value of the one sample of `family` with these labels (and sample name, for histograms)."""
    f = fams[family]
    found = [s.value for s in f.samples if (sample_name is None or s.name == sample_name)
             and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (family, labels, [s for s in f.samples][:10])
    return found[0]


def test_metrics_parse_and_follow_real_clients(fresh_broker):
    b = fresh_broker
    assert get(b.metrics_url + "/health/live") == (200, "live\n")
    assert get(b.metrics_url + "/health/ready") == (200, "ready\n")
    assert get(b.metrics_url + "/nope")[0] == 404

    topic = "metrics-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for f in admin.create_topics([NewTopic(topic, 1, 1)]).values():
        f.result(timeout=30)
    p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5})
    for i in range(100):
        p.produce(topic, b"value-%03d" % i)
    assert p.flush(30) == 0
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "metrics-group", "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(topic, 0, 0)])
    read = 0
    deadline = time.time() + 30
    while read < 60 and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            read += 1
    assert read == 60
    c.commit(offsets=[TopicPartition(topic, 0, 60)], asynchronous=False)
    c.close()

    fams = families(b)
    # Counters (the parser strips `_total` from the family name), per topic and per API.
    assert fams["kafka_server_brokertopicmetrics_messages_in"].type == "counter"
    assert value(fams, "kafka_server_brokertopicmetrics_messages_in", topic=topic) == 100
    assert value(fams, "kafka_server_brokertopicmetrics_bytes_in", topic=topic) > 100 * len(b"value-000")
    assert value(fams, "kafka_server_brokertopicmetrics_bytes_out", topic=topic) > 0
    assert value(fams, "kafka_network_requestmetrics_requests", request="Produce", listener="PLAINTEXT") >= 1
    # A histogram: cumulative buckets ending in +Inf equal to the count.
    h = fams["kafka_network_requestmetrics_total_time_seconds"]
    assert h.type == "histogram"
    buckets = [(s.labels["le"], s.value) for s in h.samples
               if s.name.endswith("_bucket") and s.labels.get("request") == "Fetch" and s.labels.get("listener") == "PLAINTEXT"]
    assert buckets and buckets[-1][0] == "+Inf"
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1][1] == value(fams, "kafka_network_requestmetrics_total_time_seconds", "kafka_network_requestmetrics_total_time_seconds_count",
                                   request="Fetch", listener="PLAINTEXT")
    # Gauges read at scrape time.
    assert fams["kafka_consumergroup_lag"].type == "gauge"
    assert value(fams, "kafka_consumergroup_lag", group="metrics-group", topic=topic, partition="0") == 40
    assert value(fams, "kafka_log_log_logendoffset", topic=topic, partition="0") == 100
    assert value(fams, "kafka_controller_kafkacontroller_activecontrollercount") == 1
    assert value(fams, "kafka_server_replicamanager_underreplicatedpartitions") == 0
    assert value(fams, "kafka_server_raft_metrics_current_leader") == 1
    # Kafka's raft commit latency (ms per record, last 30-60 s): this node leads the quorum and just
    # committed the topic's records.
    assert fams["kafka_server_raft_metrics_commit_latency_avg"].type == "gauge"
    avg = value(fams, "kafka_server_raft_metrics_commit_latency_avg")
    assert 0 <= avg <= value(fams, "kafka_server_raft_metrics_commit_latency_max") < 10_000


def test_a_node_without_a_quorum_is_live_but_not_ready(workdir):
    """One voter of three, alone: it serves its health checks but has no quorum leader, so it is not
    ready, and says why."""
    cluster = Cluster(workdir / "cluster")
    node = cluster.nodes[1]
    cluster.format(1)
    node.launch()
    try:
        deadline = time.time() + 30
        live = None
        while time.time() < deadline:
            try:
                live = get(node.metrics_url + "/health/live", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        assert live == (200, "live\n")
        status, body = get(node.metrics_url + "/health/ready")
        assert status == 503 and body == "not ready: no metadata quorum leader is known\n", (status, body)
    finally:
        node.stop()

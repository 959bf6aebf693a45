"""Client quotas (KIP-546), the controller mutation quota (KIP-599) and the byte-rate quotas with
real clients.

kafka-python 3.x has AlterClientQuotas and DescribeClientQuotas messages but no admin method for
them, so the tests send kafka-python's own request objects through its admin client's connection
(`kp_send`); topic creation goes through each client's admin API. kafka-python sends CreateTopics
v7 (strict: THROTTLING_QUOTA_EXCEEDED per topic), librdkafka 2.16 v4 (permissive: everything is
created and the throttle time comes back through `throttle_cb`).

The quota is 0.01 mutations/s with Kafka's default window (11 x 1 s), a burst of 0.11: a full
bucket lets one topic through and then stays below zero for minutes, so no outcome depends on timing.
"""
import time

from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaAdminClient
from kafka.protocol.admin import AlterClientQuotasRequest, DescribeClientQuotasRequest

from quorum import Cluster

RATE = "controller_mutation_rate"
THROTTLING_QUOTA_EXCEEDED = 89
INVALID_REQUEST = 42
POLICY_VIOLATION = 44


def kp_send(admin, request, node_id=None):
    """Sends a kafka-python request object through `admin`'s connections; returns the response."""
    async def call():
        return await admin._manager.send(request, node_id=node_id)
    return admin._manager.run(call)


def alter(admin, entries, node_id=None):
    """entries: [(entity_type, entity_name, key, value or None to remove)]; returns [(error, message)]."""
    E = AlterClientQuotasRequest.EntryData
    request = AlterClientQuotasRequest(entries=[
        E(entity=[E.EntityData(entity_type=t, entity_name=n)],
          ops=[E.OpData(key=k, value=v or 0.0, remove=v is None)]) for t, n, k, v in entries
    ], validate_only=False)
    return [(e.error_code, e.error_message) for e in kp_send(admin, request, node_id).entries]


def describe(admin, node_id=None):
    """Every quota the node knows: {(entity_type, entity_name): {key: value}} (one-component entities)."""
    r = kp_send(admin, DescribeClientQuotasRequest(components=[], strict=False), node_id)
    assert r.error_code == 0, r
    return {tuple((c.entity_type, c.entity_name) for c in e.entity): {v.key: v.value for v in e.values} for e in r.entries}


def topic_names(bootstrap):
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics)


def create_with_kafka_python(bootstrap, client_id, topics, validate_only=False):
    """{name: error code} of a kafka-python create_topics (CreateTopics v7) with `client_id`."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client_id)
    try:
        result = admin.create_topics({n: {"num_partitions": p, "replication_factor": 1} for n, p in topics},
                                     raise_errors=False, validate_only=validate_only)
        return {t["name"]: t["error_code"] for t in result["topics"]}
    finally:
        admin.close()


def test_mutation_quota_throttles_real_admin_clients_and_survives_a_restart(fresh_broker):
    b = fresh_broker
    setter = KafkaAdminClient(bootstrap_servers=b.bootstrap, client_id="quota-setter")
    assert alter(setter, [("client-id", "slow-kp", RATE, 0.01), ("client-id", "slow-rdkafka", RATE, 0.01),
                          ("ip", None, "connection_creation_rate", 5.0)]) == [
        (0, None), (0, None),
        (INVALID_REQUEST, "IP quotas (connection_creation_rate) are not enforced by Strom yet, so they are not stored"),
    ]
    quotas = {(("client-id", "slow-kp"),): {RATE: 0.01}, (("client-id", "slow-rdkafka"),): {RATE: 0.01}}
    assert describe(setter) == quotas
    setter.close()

    # kafka-python, strict: the first topic empties the bucket, the second is throttled and not created.
    assert create_with_kafka_python(b.bootstrap, "slow-kp", [("kp-a", 3), ("kp-b", 1)]) == {
        "kp-a": 0, "kp-b": THROTTLING_QUOTA_EXCEEDED}
    # librdkafka, permissive (v4): both created, the client is told to wait about 389 s.
    throttles = []
    rd = AdminClient({"bootstrap.servers": b.bootstrap, "client.id": "slow-rdkafka",
                      "throttle_cb": lambda e: throttles.append(e.throttle_time)})
    for f in rd.create_topics([NewTopic("rd-a", 3, 1), NewTopic("rd-b", 1, 1)], request_timeout=15).values():
        assert f.result() is None
    deadline = time.time() + 10
    while not throttles and time.time() < deadline:
        rd.poll(0.1)
    assert throttles and 380 < throttles[0] <= 389, throttles
    names = topic_names(b.bootstrap)
    assert {"kp-a", "rd-a", "rd-b"} <= names and "kp-b" not in names, names

    # One request's partitions are bounded in total, as in Kafka: over the limit the whole request is
    # refused (validate_only, a client without a quota); exactly the limit is accepted.
    assert create_with_kafka_python(b.bootstrap, "free", [("big-1", 10000), ("big-2", 10000)], validate_only=True) == {
        "big-1": POLICY_VIOLATION, "big-2": POLICY_VIOLATION}
    assert create_with_kafka_python(b.bootstrap, "free", [("big-1", 9999), ("big-2", 1)], validate_only=True) == {
        "big-1": 0, "big-2": 0}

    # The quotas are in the metadata log: after a restart they are there and enforced (buckets start full).
    b.stop()
    b.start()
    again = KafkaAdminClient(bootstrap_servers=b.bootstrap, client_id="quota-reader")
    assert describe(again) == quotas
    again.close()
    assert create_with_kafka_python(b.bootstrap, "slow-kp", [("kp-c", 1), ("kp-d", 1)]) == {
        "kp-c": 0, "kp-d": THROTTLING_QUOTA_EXCEEDED}
    assert "kp-d" not in topic_names(b.bootstrap)


def test_quota_set_through_a_follower_reaches_every_node(workdir):
    cluster = Cluster(workdir)
    cluster.start()
    try:
        leader, _ = cluster.leader()
        follower = next(i for i in cluster.nodes if i != leader)
        admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap(follower), client_id="quota-setter")
        # Sent to a follower, which forwards it to the active controller over the controller listener.
        assert alter(admin, [("client-id", "slow-kp", RATE, 0.01)], node_id=follower) == [(0, None)]
        # The follower answered once its own image had the quota; the others replay it shortly.
        assert describe(admin, follower) == {(("client-id", "slow-kp"),): {RATE: 0.01}}
        for node in cluster.nodes:
            deadline = time.time() + 15
            while describe(admin, node) != {(("client-id", "slow-kp"),): {RATE: 0.01}} and time.time() < deadline:
                time.sleep(0.05)
            assert describe(admin, node) == {(("client-id", "slow-kp"),): {RATE: 0.01}}, "node %d" % node
        # Enforced at the node the request arrives at, whichever it is: its bucket starts full.
        assert create_with_kafka_python(cluster.bootstrap(follower), "slow-kp", [("f-a", 1), ("f-b", 1)]) == {
            "f-a": 0, "f-b": THROTTLING_QUOTA_EXCEEDED}
        # Removal, also through the follower.
        assert alter(admin, [("client-id", "slow-kp", RATE, None)], node_id=follower) == [(0, None)]
        assert describe(admin, follower) == {}
        admin.close()
    finally:
        problems = cluster.stop()
    assert not problems, problems


def test_byte_rate_quotas_throttle_real_producers_and_consumers_without_losing_records(fresh_broker):
    """producer_byte_rate and consumer_byte_rate for one client id each: librdkafka hears of the
    throttle (throttle_cb, from throttle_time_ms) and every record still arrives once, in order. The
    rates are measured over 10 s at first, so 150 KB against 10 KB/s is over the quota by half."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    b = fresh_broker
    setter = KafkaAdminClient(bootstrap_servers=b.bootstrap, client_id="quota-setter")
    assert alter(setter, [("client-id", "slow-producer", "producer_byte_rate", 10000.0),
                          ("client-id", "slow-consumer", "consumer_byte_rate", 10000.0)]) == [(0, None), (0, None)]
    setter.close()
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for f in admin.create_topics([NewTopic("quota-bytes", 1, 1)]).values():
        f.result(timeout=30)

    count = 150
    payload = b"x" * 1000
    produced_throttles = []
    producer = Producer({"bootstrap.servers": b.bootstrap, "client.id": "slow-producer", "linger.ms": 5,
                         "batch.size": 16384, "throttle_cb": lambda e: produced_throttles.append(e.throttle_time)})
    errors = []
    for i in range(count):
        producer.produce("quota-bytes", value=b"%06d" % i + payload,
                         on_delivery=lambda err, msg: err and errors.append(err))
        producer.poll(0)
    assert producer.flush(120) == 0
    assert not errors, errors
    deadline = time.time() + 10
    while not produced_throttles and time.time() < deadline:
        producer.poll(0.1)
    assert produced_throttles and max(produced_throttles) > 0, produced_throttles

    consumed_throttles = []
    consumer = Consumer({"bootstrap.servers": b.bootstrap, "client.id": "slow-consumer", "group.id": "quota-bytes-reader",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "throttle_cb": lambda e: consumed_throttles.append(e.throttle_time)})
    consumer.assign([TopicPartition("quota-bytes", 0, 0)])
    seen = []
    deadline = time.time() + 120
    while len(seen) < count and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            seen.append(int(msg.value()[:6]))
    consumer.close()
    assert seen == list(range(count)), "read %d of %d" % (len(seen), count)
    assert consumed_throttles and max(consumed_throttles) > 0, consumed_throttles

#!/usr/bin/env python3
"""Produces N records over a SASL or TLS listener and reads them back, with one client library.

Usage: sasl_client.py '<json spec>'; spec: client (confluent | kafka-python | aiokafka), bootstrap,
protocol (SASL_PLAINTEXT, the default, SASL_SSL or SSL), mechanism, username, password (SASL), ca,
cert, key (PEM files for TLS; cert and key for client authentication), topic, count, timeout. Prints one JSON line: {"client", "version",
"acked", "read": [values], "error"}. The topic exists beforehand with one partition; records are
read from offset 0 by assignment (no group), so the result does not depend on rebalances.
"""
import asyncio
import json
import sys
import time


def protocol(spec):
    return spec.get("protocol", "SASL_PLAINTEXT")


def values(spec):
    return ["%s-%d" % (spec["topic"], i) for i in range(spec["count"])]


# The connection settings of each library for a spec (also used by acl_client.py).

def confluent_conf(spec):
    conf = {"bootstrap.servers": spec["bootstrap"], "security.protocol": protocol(spec)}
    if protocol(spec).startswith("SASL"):
        conf.update({"sasl.mechanisms": spec["mechanism"], "sasl.username": spec["username"], "sasl.password": spec["password"]})
    if spec.get("ca"):
        conf["ssl.ca.location"] = spec["ca"]
    if spec.get("cert"):
        conf.update({"ssl.certificate.location": spec["cert"], "ssl.key.location": spec["key"]})
    return conf


def kafka_python_conf(spec):
    conf = {"bootstrap_servers": spec["bootstrap"], "security_protocol": protocol(spec)}
    if protocol(spec).startswith("SASL"):
        conf.update({"sasl_mechanism": spec["mechanism"], "sasl_plain_username": spec["username"], "sasl_plain_password": spec["password"]})
    if spec.get("ca"):
        conf["ssl_cafile"] = spec["ca"]
    if spec.get("cert"):
        conf.update({"ssl_certfile": spec["cert"], "ssl_keyfile": spec["key"]})
    return conf


def aiokafka_conf(spec):
    conf = {"bootstrap_servers": spec["bootstrap"], "security_protocol": protocol(spec)}
    if protocol(spec).startswith("SASL"):
        conf.update({"sasl_mechanism": spec["mechanism"], "sasl_plain_username": spec["username"], "sasl_plain_password": spec["password"]})
    if spec.get("ca"):
        from aiokafka.helpers import create_ssl_context
        conf["ssl_context"] = create_ssl_context(cafile=spec["ca"], certfile=spec.get("cert"), keyfile=spec.get("key"))
    return conf


def run_confluent(spec):
    import confluent_kafka
    from confluent_kafka import Consumer, Producer, TopicPartition
    conf = confluent_conf(spec)
    out = {"client": "confluent-kafka", "version": "%s/librdkafka %s" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0])}
    errors = []
    acked = []
    p = Producer(dict(conf, **{"acks": "all", "error_cb": lambda e: errors.append(str(e)), "message.timeout.ms": spec["timeout"] * 1000}))
    for v in values(spec):
        p.produce(spec["topic"], v.encode(), partition=0,
                  on_delivery=lambda err, msg: acked.append(msg.value().decode()) if err is None else errors.append(str(err)))
    p.flush(spec["timeout"])
    out["acked"] = len(acked)
    if not acked:
        out["error"] = "; ".join(errors) or "nothing acknowledged"
        return out
    c = Consumer(dict(conf, **{"group.id": "sasl-reader", "enable.auto.commit": False}))
    c.assign([TopicPartition(spec["topic"], 0, 0)])
    read = []
    deadline = time.time() + spec["timeout"]
    while len(read) < spec["count"] and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            read.append(m.value().decode())
    c.close()
    out["read"] = read
    return out


def run_kafka_python(spec):
    import kafka
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    conf = kafka_python_conf(spec)
    out = {"client": "kafka-python", "version": kafka.__version__}
    try:
        p = KafkaProducer(acks="all", **conf)
        futures = [p.send(spec["topic"], v.encode(), partition=0) for v in values(spec)]
        p.flush(timeout=spec["timeout"])
        out["acked"] = sum(1 for f in futures if f.get(timeout=spec["timeout"]) is not None)
        p.close()
        c = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=spec["timeout"] * 1000, **conf)
        tp = TopicPartition(spec["topic"], 0)
        c.assign([tp])
        c.seek(tp, 0)
        read = []
        for m in c:
            read.append(m.value.decode())
            if len(read) == spec["count"]:
                break
        c.close()
        out["read"] = read
    except Exception as e:  # the error is the result
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def run_aiokafka(spec):
    import aiokafka
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    conf = aiokafka_conf(spec)
    out = {"client": "aiokafka", "version": aiokafka.__version__}

    async def go():
        p = AIOKafkaProducer(acks="all", **conf)
        await p.start()
        try:
            acked = 0
            for v in values(spec):
                await p.send_and_wait(spec["topic"], v.encode(), partition=0)
                acked += 1
            out["acked"] = acked
        finally:
            await p.stop()
        c = AIOKafkaConsumer(enable_auto_commit=False, **conf)
        await c.start()
        try:
            tp = TopicPartition(spec["topic"], 0)
            c.assign([tp])
            c.seek(tp, 0)
            read = []
            deadline = time.time() + spec["timeout"]
            while len(read) < spec["count"] and time.time() < deadline:
                for records in (await c.getmany(timeout_ms=500)).values():
                    read += [r.value.decode() for r in records]
            out["read"] = read
        finally:
            await c.stop()

    try:
        asyncio.run(asyncio.wait_for(go(), spec["timeout"] * 2))
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def main():
    spec = json.loads(sys.argv[1])
    run = {"confluent": run_confluent, "kafka-python": run_kafka_python, "aiokafka": run_aiokafka}[spec["client"]]
    out = run(spec)
    out.setdefault("acked", 0)
    out.setdefault("read", [])
    print(json.dumps(out))


if __name__ == "__main__":
    main()

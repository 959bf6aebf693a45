#!/usr/bin/env python3
"""One client library, one principal: produce to a topic and/or consume it in a consumer group, and
report what the broker allowed and refused, with each refusal named by its Kafka error (for the ACL
tests, test_acls.py).

Usage: acl_client.py '<json spec>'; spec: client (confluent | kafka-python | aiokafka), bootstrap,
protocol/mechanism/username/password (as sasl_client.py, whose connection settings it uses), topic
(one partition), produce (number of records, values "<topic>-<tag>-<i>"; 0: none), tag, idempotent,
group and consume (subscribe in the group from the earliest offset and read that many records, then
commit synchronously; 0: no consumer), timeout (seconds, per step).

Prints one JSON line: {"client", "version", "acked", "produce_errors": [{"name", "text", "fatal"}],
"read": [values], "consume_errors": [...], "committed": offset or null, "seconds": {step: s}}.
A step stops at its first error (a refusal is the result, not a failure of the driver); the other
step still runs. Error names are Kafka's (TOPIC_AUTHORIZATION_FAILED...), taken from the library's
error object: confluent-kafka's KafkaError.name(), kafka-python's and aiokafka's error class
`message`.
"""
import asyncio
import json
import logging
import re
import sys
import time

from sasl_client import aiokafka_conf, confluent_conf, kafka_python_conf


def values(spec):
    return ["%s-%s-%d" % (spec["topic"], spec.get("tag", "v"), i) for i in range(spec.get("produce", 0))]


def exc_error(e, errors_module):
    """kafka-python and aiokafka: the Kafka error name of a broker error class (its `message`); for a
    generic error that quotes a broker error ("Unexpected error in InitProducerIdResponse: [Error 31]
    ClusterAuthorizationFailedError", kafka-python 3), the quoted code's name; else the class name."""
    name = getattr(type(e), "message", None)
    errno = getattr(type(e), "errno", None)
    quoted = re.search(r"\[Error (-?\d+)\]", str(e))
    if (not isinstance(errno, int) or errno <= 0) and quoted:
        name = getattr(errors_module.for_code(int(quoted.group(1))), "message", None)
    if not isinstance(name, str) or not name:
        name = type(e).__name__
    return {"name": name, "text": "%s: %s" % (type(e).__name__, e), "fatal": False}


def add(errors, err):
    if err not in errors and len(errors) < 5:
        errors.append(err)


def run_confluent(spec, out):
    import confluent_kafka
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
    conf = confluent_conf(spec)
    out["version"] = "%s/librdkafka %s" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0])

    def kerr(e):
        return {"name": e.name(), "text": str(e), "fatal": bool(e.fatal())}

    def raised():
        """The KafkaError of what was just raised. confluent-kafka 2.16 raises a fatal error from
        flush() as the KafkaError itself, which is no BaseException (only a bare except catches it),
        or as a SystemError caused by the KafkaException when a callback ran with it pending."""
        e = sys.exc_info()[1]
        while e is not None:
            if isinstance(e, KafkaError):
                return e
            if isinstance(e, KafkaException):
                return e.args[0]
            e = getattr(e, "__cause__", None)
        raise

    # Callbacks only keep the KafkaError: confluent-kafka may call them with the KafkaException of a
    # fatal error pending (flush raises it), when calling a method of the error object fails.
    if spec.get("produce"):
        start = time.time()
        raw, acked = [], []
        pconf = dict(conf, **{"acks": "all", "message.timeout.ms": spec["timeout"] * 1000, "error_cb": raw.append})
        if spec.get("idempotent"):
            pconf["enable.idempotence"] = True
        p = Producer(pconf)
        try:
            for v in values(spec):
                p.produce(spec["topic"], v.encode(), partition=0,
                          on_delivery=lambda err, msg: acked.append(msg.offset()) if err is None else raw.append(err))
            p.flush(spec["timeout"] + 5)
        except:  # noqa: E722 (see raised); a fatal error: the idempotent producer's InitProducerId refused
            raw.append(raised())
        for e in raw:
            add(out["produce_errors"], kerr(e))
        out["acked"] = len(acked)
        out["seconds"]["produce"] = round(time.time() - start, 2)

    if spec.get("consume"):
        start = time.time()
        raw = []
        c = Consumer(dict(conf, **{"group.id": spec["group"], "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                   "error_cb": raw.append}))
        try:
            c.subscribe([spec["topic"]])
            deadline = time.time() + spec["timeout"]
            while len(out["read"]) < spec["consume"] and not raw and time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error() is not None:
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        raw.append(m.error())
                    continue
                out["read"].append(m.value().decode())
            if len(out["read"]) == spec["consume"] and not raw:
                (tp,) = c.commit(asynchronous=False)
                if tp.error is not None:
                    raw.append(tp.error)
                else:
                    out["committed"] = tp.offset
        except:  # noqa: E722 (see raised)
            raw.append(raised())
        finally:
            c.close()
        for e in raw:
            add(out["consume_errors"], kerr(e))
        out["seconds"]["consume"] = round(time.time() - start, 2)


def run_kafka_python(spec, out):
    import kafka
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    conf = kafka_python_conf(spec)
    out["version"] = kafka.__version__
    if spec.get("produce"):
        start = time.time()
        # kafka-python 3 is idempotent unless told otherwise; 2.0.2 has no such setting.
        extra = {"enable_idempotence": bool(spec.get("idempotent"))} if "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG else {}
        if spec.get("idempotent") and not extra:
            raise SystemExit("kafka-python %s has no idempotent producer" % kafka.__version__)
        p = None
        try:
            p = KafkaProducer(acks="all", max_block_ms=spec["timeout"] * 1000, request_timeout_ms=spec["timeout"] * 1000,
                              **dict(conf, **extra))
            for v in values(spec):
                p.send(spec["topic"], v.encode(), partition=0).get(timeout=spec["timeout"])
                out["acked"] += 1
        except Exception as e:  # the refusal is the result
            add(out["produce_errors"], exc_error(e, kafka.errors))
        finally:
            if p is not None:
                p.close(timeout=5)
        out["seconds"]["produce"] = round(time.time() - start, 2)

    if spec.get("consume"):
        start = time.time()
        c = None
        try:
            c = KafkaConsumer(spec["topic"], group_id=spec["group"], auto_offset_reset="earliest", enable_auto_commit=False, **conf)
            deadline = time.time() + spec["timeout"]
            while len(out["read"]) < spec["consume"] and time.time() < deadline:
                for records in c.poll(timeout_ms=500).values():
                    out["read"] += [r.value.decode() for r in records]
            if len(out["read"]) == spec["consume"]:
                c.commit()
                out["committed"] = c.committed(TopicPartition(spec["topic"], 0))
        except Exception as e:
            add(out["consume_errors"], exc_error(e, kafka.errors))
        finally:
            if c is not None:
                c.close()
        out["seconds"]["consume"] = round(time.time() - start, 2)


def run_aiokafka(spec, out):
    import aiokafka
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    conf = aiokafka_conf(spec)
    out["version"] = aiokafka.__version__

    async def produce():
        extra = {"enable_idempotence": True} if spec.get("idempotent") else {}
        p = AIOKafkaProducer(acks="all", request_timeout_ms=spec["timeout"] * 1000, **dict(conf, **extra))
        await p.start()
        try:
            for v in values(spec):
                await p.send_and_wait(spec["topic"], v.encode(), partition=0)
                out["acked"] += 1
        finally:
            await p.stop()

    async def consume():
        c = AIOKafkaConsumer(spec["topic"], group_id=spec["group"], auto_offset_reset="earliest", enable_auto_commit=False, **conf)
        await c.start()
        try:
            deadline = time.time() + spec["timeout"]
            while len(out["read"]) < spec["consume"] and time.time() < deadline:
                for records in (await c.getmany(timeout_ms=500)).values():
                    out["read"] += [r.value.decode() for r in records]
            if len(out["read"]) == spec["consume"]:
                await c.commit()
                out["committed"] = await c.committed(TopicPartition(spec["topic"], 0))
        finally:
            await c.stop()

    for step, run, errors in (("produce", produce, out["produce_errors"]), ("consume", consume, out["consume_errors"])):
        if not spec.get(step):
            continue
        start = time.time()
        try:
            asyncio.run(asyncio.wait_for(run(), spec["timeout"] * 2))
        except Exception as e:
            add(errors, exc_error(e, aiokafka.errors))
        out["seconds"][step] = round(time.time() - start, 2)


def main():
    # kafka-python and aiokafka report some refusals only in their log (kept in the test's directory).
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    spec = json.loads(sys.argv[1])
    out = {"client": spec["client"], "version": None, "acked": 0, "produce_errors": [], "read": [], "consume_errors": [],
           "committed": None, "seconds": {}}
    {"confluent": run_confluent, "kafka-python": run_kafka_python, "aiokafka": run_aiokafka}[spec["client"]](spec, out)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

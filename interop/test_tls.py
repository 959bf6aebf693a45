"""SSL and SASL_SSL listeners with stock clients (issue 13): TLS with a PEM keystore and mutual TLS
(a client certificate from the broker's CA is required), SASL_SSL with a PKCS#12 keystore and SCRAM;
clients check the broker's host name (every client here does by default). A client certificate from
another CA, or none where one is required, is refused in the TLS handshake.
"""
import subprocess

import pytest
from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

import kcat
import test_sasl
from broker import BrokerProcess, free_ports
from certs import Certificates
from clients import VENV_PY

DEBIAN_PY = "/usr/bin/python3"


@pytest.fixture(scope="module")
def tls_broker(run_dir):
    certs = Certificates(run_dir / "tls-certs")
    b = BrokerProcess(run_dir / "broker-tls")
    b.certs = certs
    b.ssl_port, b.sasl_ssl_port = free_ports(2)
    b.overrides = {
        "listeners": "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d,SASL_SSL://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d"
                     % (b.port, b.ssl_port, b.sasl_ssl_port, b.controller_port),
        "advertised.listeners": "PLAINTEXT://127.0.0.1:%d,SSL://127.0.0.1:%d,SASL_SSL://127.0.0.1:%d" % (b.port, b.ssl_port, b.sasl_ssl_port),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        # SSL: a PEM keystore file, mutual TLS.
        "listener.name.ssl.ssl.keystore.type": "PEM",
        "listener.name.ssl.ssl.keystore.location": str(certs.path("server-keystore.pem")),
        "listener.name.ssl.ssl.truststore.type": "PEM",
        "listener.name.ssl.ssl.truststore.location": str(certs.path("ca.crt")),
        "listener.name.ssl.ssl.client.auth": "required",
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]*),.*$/$1/L,DEFAULT",
        # SASL_SSL: a PKCS#12 keystore, SCRAM.
        "listener.name.sasl_ssl.ssl.keystore.type": "PKCS12",
        "listener.name.sasl_ssl.ssl.keystore.location": str(certs.path("server.p12")),
        "listener.name.sasl_ssl.ssl.keystore.password": "p12-secret",
        "listener.name.sasl_ssl.sasl.enabled.mechanisms": "SCRAM-SHA-512,PLAIN",
        "listener.name.sasl_ssl.plain.sasl.jaas.config":
            'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
    }
    b.start()
    b.ssl_bootstrap = "127.0.0.1:%d" % b.ssl_port
    b.sasl_ssl_bootstrap = "127.0.0.1:%d" % b.sasl_ssl_port
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    upsert = UserScramCredentialUpsertion("dave", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), b"dave-secret")
    for f in admin.alter_user_scram_credentials([upsert]).values():
        f.result(timeout=30)
    yield b
    b.stop()
    if b.problems:
        pytest.fail("TLS broker: %s" % "; ".join(b.problems))


def new_topic(broker):
    return test_sasl.new_topic(broker, prefix="tls-")


def run_client(interpreter, spec, broker, count=20, timeout=30):
    return test_sasl.run_spec(interpreter, spec, broker, count, timeout, prefix="tls-")


def mtls_spec(broker, client_name="alice", ca="ca"):
    crt, key = broker.certs.issue(client_name + "-" + ca, "/CN=%s/OU=eng/O=Acme" % client_name, ca=ca)
    return {"bootstrap": broker.ssl_bootstrap, "protocol": "SSL", "ca": str(broker.certs.path("ca.crt")), "cert": crt, "key": key}


def sasl_ssl_spec(broker, mechanism="SCRAM-SHA-512", user="dave", password="dave-secret"):
    return {"bootstrap": broker.sasl_ssl_bootstrap, "protocol": "SASL_SSL", "ca": str(broker.certs.path("ca.crt")),
            "mechanism": mechanism, "username": user, "password": password}


MTLS = [(VENV_PY, "confluent"), (DEBIAN_PY, "confluent"), (VENV_PY, "kafka-python"), (DEBIAN_PY, "kafka-python"), (VENV_PY, "aiokafka")]


@pytest.mark.parametrize("interpreter,client", MTLS, ids=["%s-%s" % ("debian" if i == DEBIAN_PY else "venv", c) for i, c in MTLS])
def test_mutual_tls_produce_and_read_back(tls_broker, interpreter, client):
    out = run_client(interpreter, dict(mtls_spec(tls_broker), client=client), tls_broker)
    assert out.get("error") is None, out
    assert out["acked"] == 20 and out["read"] == out["expected"], out


SASL_SSL = [(VENV_PY, "confluent", "SCRAM-SHA-512"), (DEBIAN_PY, "confluent", "PLAIN"), (DEBIAN_PY, "kafka-python", "PLAIN"),
            (VENV_PY, "kafka-python", "SCRAM-SHA-512"), (VENV_PY, "aiokafka", "SCRAM-SHA-512")]


@pytest.mark.parametrize("interpreter,client,mechanism", SASL_SSL,
                         ids=["%s-%s-%s" % ("debian" if i == DEBIAN_PY else "venv", c, m) for i, c, m in SASL_SSL])
def test_sasl_ssl_produce_and_read_back(tls_broker, interpreter, client, mechanism):
    user, password = ("dave", "dave-secret") if mechanism.startswith("SCRAM") else ("alice", "alice-secret")
    out = run_client(interpreter, dict(sasl_ssl_spec(tls_broker, mechanism, user, password), client=client), tls_broker)
    assert out.get("error") is None, out
    assert out["acked"] == 20 and out["read"] == out["expected"], out


def test_kcat_over_sasl_ssl(tls_broker):
    topic = new_topic(tls_broker)
    auth = ["-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=%s" % tls_broker.certs.path("ca.crt"),
            "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=dave", "-X", "sasl.password=dave-secret"]
    lines = ["kcat-tls-%d" % i for i in range(10)]
    subprocess.run([kcat.binary(), "-b", tls_broker.sasl_ssl_bootstrap, "-P", "-t", topic, "-p", "0"] + auth,
                   input="\n".join(lines) + "\n", text=True, check=True, timeout=60)
    read = subprocess.run([kcat.binary(), "-b", tls_broker.sasl_ssl_bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"] + auth,
                          capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert read == lines


def test_a_client_certificate_from_another_ca_is_refused(tls_broker):
    offset = tls_broker.log_size()
    out = run_client(VENV_PY, dict(mtls_spec(tls_broker, "mallory", ca="other-ca"), client="confluent"), tls_broker, count=1, timeout=8)
    assert out["acked"] == 0 and out.get("error"), out
    assert "TLS handshake failed" in tls_broker.wait_for_log(offset, "TLS handshake failed")


def test_no_client_certificate_where_one_is_required_is_refused(tls_broker):
    offset = tls_broker.log_size()
    spec = dict(mtls_spec(tls_broker), client="confluent")
    del spec["cert"], spec["key"]
    out = run_client(VENV_PY, spec, tls_broker, count=1, timeout=8)
    assert out["acked"] == 0 and out.get("error"), out
    assert "TLS handshake failed" in tls_broker.wait_for_log(offset, "TLS handshake failed")


def test_a_client_that_does_not_trust_the_broker_gives_up(tls_broker):
    spec = dict(mtls_spec(tls_broker), client="confluent", ca=str(tls_broker.certs.path("other-ca.crt")))
    out = run_client(VENV_PY, spec, tls_broker, count=1, timeout=8)
    assert out["acked"] == 0 and "certificate verify failed" in out.get("error", ""), out


def test_large_fetches_over_tls_are_copied_not_sendfiled(tls_broker):
    """Fetch responses of 16 KiB or more per partition are spliced from the log files (sendfile) on
    plaintext listeners; over TLS they must be read into memory and encrypted instead."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    spec = mtls_spec(tls_broker, "bulk")
    conf = {"bootstrap.servers": tls_broker.ssl_bootstrap, "security.protocol": "SSL", "ssl.ca.location": spec["ca"],
            "ssl.certificate.location": spec["cert"], "ssl.key.location": spec["key"]}
    topic = new_topic(tls_broker)
    values = [("%05d" % i).encode() * 400 for i in range(500)]  # 2 KB each, 1 MB in all
    p = Producer(dict(conf, acks="all", **{"linger.ms": 50}))
    for v in values:
        p.produce(topic, v, partition=0)
    assert p.flush(60) == 0
    c = Consumer(dict(conf, **{"group.id": "tls-bulk", "enable.auto.commit": False, "fetch.min.bytes": 100000, "fetch.wait.max.ms": 500}))
    c.assign([TopicPartition(topic, 0, 0)])
    read = []
    import time
    deadline = time.time() + 60
    while len(read) < len(values) and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            read.append(m.value())
    c.close()
    assert read == values
    assert tls_broker.alive()


def test_sarama_over_mutual_tls_and_sasl_ssl(tls_broker, workdir):
    """sarama 1.22 with Go's TLS: a client certificate on the SSL listener, SCRAM-SHA-512 over SASL_SSL."""
    from test_sasl import run_sarama
    spec = mtls_spec(tls_broker, "gopher")
    run_sarama(tls_broker.ssl_bootstrap, new_topic(tls_broker), workdir,
               {"protocol": "SSL", "ca": spec["ca"], "cert": spec["cert"], "key": spec["key"]})
    run_sarama(tls_broker.sasl_ssl_bootstrap, new_topic(tls_broker), workdir,
               {"protocol": "SASL_SSL", "ca": spec["ca"], "mechanism": "SCRAM-SHA-512", "username": "dave", "password": "dave-secret"})

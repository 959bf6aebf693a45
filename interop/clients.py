"""The seven stock clients the suite drives, and how to run each one.

Python clients run as subprocesses of their own interpreter (the venv's, or /usr/bin/python3 for
Debian's packages, which import nowhere else); sarama is a Go program; kcat is run directly.
Every run writes its spec, result and log into the test's work directory, so a failure can be
replayed by hand: `PYTHON interop/drivers/X_driver.py produce SPEC.json OUT.json`.
"""
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import kcat

REPO = Path(__file__).resolve().parent.parent
DRIVERS = REPO / "interop" / "drivers"
VENV_PY = REPO / ".venv" / "bin" / "python"
SYS_PY = Path("/usr/bin/python3")
SARAMA_BIN = REPO / ".gopath" / "bin" / "sarama-interop"


@dataclass(frozen=True)
class Client:
    name: str
    description: str
    idempotent: bool  # has an idempotent producer
    admin: bool  # can create topics (kcat cannot: it relies on auto-creation)
    expect: tuple  # (("version", prefix), ("librdkafka", prefix)...) that `version` must report
    command: tuple = ()  # driver command prefix; empty for kcat

    def _check_installed(self):
        if self.name == "kcat":
            kcat.binary()
            return
        exe = Path(self.command[0])
        if not exe.exists():
            raise RuntimeError("%s: %s is missing; run scripts/install-test-clients.sh" % (self.name, exe))

    def version(self):
        self._check_installed()
        if self.name == "kcat":
            return kcat.version()
        p = subprocess.run(list(self.command) + ["version"], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s: `version` failed (exit %d): %s" % (self.name, p.returncode, p.stderr.strip()[-1500:]))
        return json.loads(p.stdout)

    def run(self, action, spec, workdir, tag):
        """Runs `action` (produce or read) with spec; returns (exit code, result dict or None, log text)."""
        self._check_installed()
        workdir = Path(workdir)
        base = workdir / ("%s-%s-%s" % (tag, self.name, action))
        spec_path, out_path, log_path = (Path(str(base) + s) for s in (".spec.json", ".out.json", ".log"))
        spec_path.write_text(json.dumps(spec))
        with open(log_path, "wb") as log:
            if self.name == "kcat":
                result = (kcat.produce if action == "produce" else kcat.read)(spec, log)
                rc = 0
                out_path.write_text(json.dumps(result))
            else:
                cmd = list(self.command) + [action, str(spec_path), str(out_path)]
                log.write(("$ " + " ".join(cmd) + "\n").encode())
                log.flush()
                try:
                    rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        timeout=spec["timeout"] + 30).returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
                    log.write(b"\n==== interop: killed after the timeout\n")
                result = json.loads(out_path.read_text()) if out_path.exists() else None
        return rc, result, log_path.read_text(errors="replace")


def _py(interpreter, driver):
    return (str(interpreter), str(DRIVERS / driver))


CLIENTS = {c.name: c for c in [
    Client("kcat", "kcat 1.7.1 (Debian), librdkafka 2.0.2", idempotent=True, admin=False,
           expect=(("librdkafka", "2.0.2"),)),
    Client("confluent-venv", "confluent-kafka 2.16 (PyPI, venv), bundled librdkafka 2.16", idempotent=True,
           admin=True, expect=(("version", "2.16."), ("librdkafka", "2.16.")),
           command=_py(VENV_PY, "confluent_driver.py")),
    Client("confluent-debian", "confluent-kafka 1.7.0 (Debian, /usr/bin/python3), librdkafka 2.0.2",
           idempotent=True, admin=True, expect=(("version", "1.7."), ("librdkafka", "2.0.2")),
           command=_py(SYS_PY, "confluent_driver.py")),
    Client("kafka-python-venv", "kafka-python 3.x (PyPI, venv)", idempotent=True, admin=True,
           expect=(("version", "3."),), command=_py(VENV_PY, "kafka_python_driver.py")),
    Client("kafka-python-debian", "kafka-python 2.0.2 (Debian, /usr/bin/python3)", idempotent=False, admin=True,
           expect=(("version", "2.0.2"),), command=_py(SYS_PY, "kafka_python_driver.py")),
    Client("aiokafka", "aiokafka 0.14 (PyPI, venv)", idempotent=True, admin=True,
           expect=(("version", "0.14."),), command=_py(VENV_PY, "aiokafka_driver.py")),
    Client("sarama", "sarama 1.22.1 (Debian, GOPATH build), protocol 2.2.0", idempotent=True, admin=True,
           expect=(("version", "1.22."),), command=(str(SARAMA_BIN),)),
]}

# Who reads a client's records back besides the client itself: kcat for everyone, and
# confluent-kafka 2.16 for kcat's own.
CROSS_READER = {name: ("confluent-venv" if name == "kcat" else "kcat") for name in CLIENTS}

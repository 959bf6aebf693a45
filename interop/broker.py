"""Start, watch, kill and restart one broker process for the interop tests.

Two kinds: `strom` (the real binary, `$STROM_BIN`, default `.build/debug/strom`) and `recording`
(Fixtures/capture/recording_broker.py, an in-memory stand-in for developing the suite; it has
no durability, so the kill -9 tests fail against it by design). Each broker gets two free ports
and its own directory: `broker.log` (stdout and stderr of every start, appended) and `data/`.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECORDING_BROKER = REPO / "Fixtures" / "capture" / "recording_broker.py"
AUTO_CREATE_PARTITIONS = 3


class BrokerError(Exception):
    pass


def strom_binary():
    return Path(os.environ.get("STROM_BIN") or REPO / ".build" / "debug" / "strom").resolve()


def broker_kind():
    kind = os.environ.get("INTEROP_BROKER", "strom")
    if kind not in ("strom", "recording"):
        raise BrokerError("INTEROP_BROKER must be strom or recording, not %r" % kind)
    return kind


def _ephemeral_ports():
    """The kernel's range of local ports for outgoing connections and bind(0)."""
    try:
        low, high = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


_FIRST_PORT = 10000
_port_lock = threading.Lock()
_next_port = None


def free_ports(n):
    """n distinct ports below the kernel's ephemeral range that were free just now.

    Not bind(0): a port the kernel hands out that way is in the same range as the local ports of
    outgoing connections, and a node's listener port picked so was taken, before the node bound it,
    by another node's connection to the quorum (librdkafka's 0101 on three nodes: EADDRINUSE). Ports
    below the range are never given to connections. Each call moves on from where the last one
    stopped (from a point that depends on the process id, so two runs side by side start apart), and
    a port is handed out only when binding it succeeds (nothing listens there, no TIME_WAIT holds it).
    """
    global _next_port
    low, _ = _ephemeral_ports()
    span = max(1, low - _FIRST_PORT)
    found = []
    with _port_lock:
        if _next_port is None:
            _next_port = _FIRST_PORT + (os.getpid() * 7919) % span
        for _ in range(span):
            port = _next_port
            _next_port = _FIRST_PORT + (_next_port + 1 - _FIRST_PORT) % span
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            found.append(port)
            if len(found) == n:
                return found
    raise BrokerError("no %d free ports between %d and %d" % (n, _FIRST_PORT, low))


def metadata_brokers(port, timeout=2.0):
    """Sends Metadata v1 for all topics; returns the number of brokers in the answer."""
    client_id = b"interop-probe"
    body = struct.pack(">hhih", 3, 1, 7, len(client_id)) + client_id + struct.pack(">i", -1)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(body)) + body)
        head = _recv_exact(s, 4)
        size = struct.unpack(">i", head)[0]
        resp = _recv_exact(s, size)
    corr, brokers = struct.unpack(">ii", resp[:8])
    if corr != 7:
        raise BrokerError("Metadata v1 probe: correlation id %d, sent 7" % corr)
    return brokers


def _recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


class BrokerProcess:
    def __init__(self, workdir, kind=None, overrides=None):
        self.kind = kind or broker_kind()
        self.overrides = dict(overrides or {})  # extra server.properties keys (strom only)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "broker.log"
        self.port, self.controller_port, self.metrics_port = free_ports(3)
        self.proc = None
        self.starts = 0
        self.problems = []  # things that went wrong outside a test's own checks (stop, exit codes)

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    @property
    def metrics_url(self):
        return "http://127.0.0.1:%d" % self.metrics_port

    def command(self):
        if self.kind == "recording":
            return [sys.executable, str(RECORDING_BROKER), "--port", str(self.port),
                    "--out", str(self.workdir / "frames"), "--client", "interop", "--scenario", "interop",
                    "--partitions", str(AUTO_CREATE_PARTITIONS)]
        binary = strom_binary()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise BrokerError("strom binary not found at %s: build it with `swift build --product strom` "
                              "or point STROM_BIN at it" % binary)
        overrides = {
            "listeners": "PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d" % (self.port, self.controller_port),
            "advertised.listeners": "PLAINTEXT://127.0.0.1:%d" % self.port,
            "controller.quorum.voters": "1@127.0.0.1:%d" % self.controller_port,
            "log.dirs": str(self.data_dir),
            "num.partitions": str(AUTO_CREATE_PARTITIONS),
            # Prometheus metrics and health checks (/metrics, /health/ready) on a port of its own.
            "strom.metrics.listener": "http://127.0.0.1:%d" % self.metrics_port,
        }
        overrides.update(self.overrides)
        cmd = [str(binary)]
        for k, v in overrides.items():
            cmd += ["--override", "%s=%s" % (k, v)]
        return cmd

    def start(self, timeout=60):
        self.launch()
        self.wait_ready(timeout)

    def launch(self):
        """Starts the process without waiting for it to serve (a cluster's nodes start together)."""
        cmd = self.command()
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(("\n==== interop: start #%d: %s\n" % (self.starts, " ".join(cmd))).encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout):
        """Ready = a Metadata request is answered with at least one broker."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError("%s broker exited with code %s during start #%d; log tail:\n%s" % (
                    self.kind, self.proc.returncode, self.starts, self.log_tail()))
            try:
                if metadata_brokers(self.port) > 0:
                    return
                last = "Metadata v1 listed no brokers"
            except (OSError, ConnectionError, BrokerError, struct.error) as e:
                last = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.1)
        raise BrokerError("%s broker not ready on %s after %ss (last probe: %s); log tail:\n%s" % (
            self.kind, self.bootstrap, timeout, last, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL, no warning; waits for the process to be gone."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        with open(self.log_path, "ab") as log:
            log.write(b"\n==== interop: killed with SIGKILL\n")

    def stop(self, timeout=20):
        """SIGTERM and wait; a broker that ignores it is killed and the fact recorded in problems."""
        if not self.alive():
            if self.proc is not None and self.proc.returncode not in (0, -signal.SIGKILL):
                self.problems.append("broker had already exited with code %s" % self.proc.returncode)
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
            # Python's default SIGTERM handling ends the recording broker with -15; Strom must exit 0.
            if rc != 0 and not (self.kind == "recording" and rc == -signal.SIGTERM):
                self.problems.append("broker exited with code %s after SIGTERM" % rc)
        except subprocess.TimeoutExpired:
            self.problems.append("broker did not exit within %ss of SIGTERM; killed" % timeout)
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log_size(self):
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset, max_lines=150):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                lines = f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return "(no broker log)"
        if len(lines) > max_lines:
            lines = ["... (%d earlier lines in %s)" % (len(lines) - max_lines, self.log_path)] + lines[-max_lines:]
        return "\n".join(lines)

    def wait_for_log(self, offset, text, timeout=15):
        """The log since `offset` once it holds `text` (the broker may write a line just after the
        event a test saw, e.g. after closing a connection), or when `timeout` has passed."""
        deadline = time.time() + timeout
        while True:
            log = self.log_since(offset, max_lines=100000)
            if text in log or time.time() > deadline:
                return log
            time.sleep(0.05)

    def log_highlights(self, offset=0, max_lines=40):
        """The telling lines since offset: errors, crashes, signals, start/stop and connection
        events, then the last few lines whatever they are."""
        text = self.log_since(offset, max_lines=100000).splitlines()
        keep = [l for l in text if any(w in l for w in (
            "Fatal error", "crashed", "error", "warning", "critical", "SIGTERM", "shutting down",
            "stopped", "started", "connection", "==== interop"))]
        keep = keep[:max_lines]
        tail = [l for l in text[-8:] if l not in keep]
        return "\n".join(keep + (["..."] + tail if tail else []))

    def log_tail(self, max_lines=60):
        return self.log_since(0, max_lines)

"""The three-node cluster of docker/compose.yaml on loopback, for interop tests: start, kill -9,
restart and wipe nodes through scripts/cluster.sh, so tests run exactly what the script runs.

    c = Cluster(workdir / "cluster")          # nodes 1, 2, 3 under workdir/cluster/N
    c.start()                                  # returns once every node answers ApiVersions
    c.bootstrap                                # "127.0.0.1:9092,127.0.0.1:19092,127.0.0.1:29092"
    c.kill9(2); c.restart(2); c.wipe(3); c.start(3)
    c.isolate(2); c.heal(2)                    # a network partition around node 2 (nftables)
    c.stop()                                   # SIGTERM to every node

Client ports are fixed by compose.yaml (9092, 19092, 29092; controllers 9093, 19093, 29093;
inter-broker 9094, 19094, 29094), so one Cluster runs at a time on a machine per compose file:
$STROM_COMPOSE (or `compose`) names a port-shifted copy to run another beside it. The binary is
$STROM_BIN (default .build/debug/strom, as for the single-broker fixtures); `overrides` are
extra server.properties keys given to every node (`--override`), `node_overrides` ({N: {key:
value}}) those of one node (after the shared ones), e.g. each node's broker.rack.

Node N runs in a cgroup v2 of its own (scripts/cluster.sh's STROM_CLUSTER_CGROUP, here
<cgroup2 mount>/strom-cluster-<first client port>/node-N), so that isolate(N) can tell its sockets
from everyone else's on the shared loopback: it adds an nftables table that drops every packet to
or from node N's ports and every packet node N's sockets send (even after they are closed, as a
FIN with unacknowledged data is). heal(N) deletes it. Packets are dropped, not refused:
connections hang as they do behind a real partition. (A combined node does not reach its own
listeners over TCP, so cutting those too changes nothing.)
"""
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from broker import REPO, BrokerError, metadata_brokers, strom_binary

SCRIPT = REPO / "scripts" / "cluster.sh"
NODES = (1, 2, 3)


def cgroup2_mount():
    """Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified beside
    v1 controllers), or None. nftables names a cgroup by its path below /sys/fs/cgroup and matches
    it at its depth below this mount."""
    try:
        for line in open("/proc/mounts"):
            fields = line.split()
            if fields[2] == "cgroup2" and fields[1].startswith("/sys/fs/cgroup"):
                return Path(fields[1])
    except OSError:
        pass
    return None


def _utc_now():
    """The time as the nodes' log lines print it, to place a fault among them."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())


class Cluster:
    def __init__(self, directory, overrides=None, timeout=60, compose=None, node_overrides=None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.overrides = dict(overrides or {})
        self.node_overrides = {n: dict(v) for n, v in (node_overrides or {}).items()}
        self.timeout = timeout
        self.compose = Path(compose or os.environ.get("STROM_COMPOSE") or REPO / "docker" / "compose.yaml")
        self.problems = []
        self.isolated = set()
        self._ports = {}
        self._id = None
        mount = cgroup2_mount()
        # Only where this process may create cgroups (root): elsewhere nodes run where they are.
        self.cgroup = mount / ("strom-cluster-%d" % self.cluster_id) if mount and os.access(mount, os.W_OK) else None

    # -- running the script ------------------------------------------------------------------

    def _env(self):
        env = dict(os.environ)
        env.update({
            "STROM_BIN": str(strom_binary()),
            "STROM_CLUSTER_DIR": str(self.directory),
            "STROM_COMPOSE": str(self.compose),
            "STROM_CLUSTER_TIMEOUT": str(self.timeout),
            "STROM_CLUSTER_OVERRIDES": " ".join("%s=%s" % kv for kv in self.overrides.items()),
            "STROM_CLUSTER_CGROUP": str(self.cgroup) if self.cgroup else "",
        })
        for n in NODES:
            env["STROM_CLUSTER_NODE_OVERRIDES_%d" % n] = " ".join("%s=%s" % kv for kv in self.node_overrides.get(n, {}).items())
        return env

    def script(self, *args, check=True):
        """Runs scripts/cluster.sh ARGS; returns its standard output. Fails with its output."""
        binary = strom_binary()
        if not binary.is_file() or not os.access(binary, os.X_OK):
            raise BrokerError("strom binary not found at %s: build it with `swift build --product strom` "
                              "or point STROM_BIN at it" % binary)
        p = subprocess.run(["bash", str(SCRIPT)] + [str(a) for a in args], env=self._env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=self.timeout * 3 + 60)
        if check and p.returncode != 0:
            raise BrokerError("scripts/cluster.sh %s exited with %d:\n%s%s" % (
                " ".join(map(str, args)), p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace")))
        return p.stdout.decode(errors="replace")

    def start(self, node=None):
        self.script("start", *([node] if node else []))

    def stop(self, node=None):
        self.script("stop", *([node] if node else []))

    def kill9(self, node):
        self.script("kill", node)
        with open(self.log_path(node), "ab") as log:
            log.write(("\n==== interop: killed with SIGKILL at %s\n" % _utc_now()).encode())

    def restart(self, node):
        self.script("restart", node)

    def pause(self, node):
        """SIGSTOP: the process keeps its sockets but answers nothing (a long GC pause, a stalled VM)."""
        os.kill(self.pid(node), signal.SIGSTOP)
        with open(self.log_path(node), "ab") as log:
            log.write(("\n==== interop: paused with SIGSTOP at %s\n" % _utc_now()).encode())

    def resume(self, node):
        os.kill(self.pid(node), signal.SIGCONT)

    # -- network partitions ------------------------------------------------------------------

    @property
    def cluster_id(self):
        """The compose file's first client port: tells clusters on one machine apart."""
        if self._id is None:
            self._id = int(re.search(r"PLAINTEXT://[^,\s]*:(\d+)", self.compose.read_text()).group(1))
        return self._id

    def listener_ports(self, node):
        """Every port node N listens on (client, controller, inter-broker)."""
        if node not in self._ports:
            listeners = self.environment(node)["KAFKA_LISTENERS"]
            self._ports[node] = sorted(int(p) for p in re.findall(r":(\d+)(?:,|$)", listeners))
        return self._ports[node]

    def _table(self, node):
        return "strom_isolate_%d_%d" % (self.cluster_id, node)

    def isolate(self, node, from_clients=True):
        """Cuts node N off from the other nodes and (unless from_clients is False) from every
        client: nftables drops, in the output hook every loopback packet passes, packets to and
        from N's ports (only its controller and inter-broker ports when clients may still reach
        it) and every packet a socket of N's cgroup sends (but its client port's replies, when
        clients may reach it). Calling it again for N replaces N's rules. Needs root, nft and
        cgroup v2 under /sys/fs/cgroup."""
        if shutil.which("nft") is None:
            raise BrokerError("nft is not installed (scripts/install-test-clients.sh installs nftables)")
        if self.cgroup is None:
            raise BrokerError("no writable cgroup v2 hierarchy under /sys/fs/cgroup: cannot tell node %d's sockets apart" % node)
        group = self.cgroup / ("node-%d" % node)
        level = len(group.relative_to(cgroup2_mount()).parts)
        client = self.client_port(node)
        cut = [p for p in self.listener_ports(node) if from_clients or p != client]
        ports = "{ %s }" % ", ".join(str(p) for p in cut)
        own = 'socket cgroupv2 level %d "%s"' % (level, group.relative_to("/sys/fs/cgroup"))
        table = self._table(node)
        script = "\n".join(
            (["delete table inet %s" % table] if node in self.isolated else []) + [
                "table inet %s {" % table,
                "  chain out {",
                "    type filter hook output priority 0; policy accept;",
                "    tcp dport %s drop" % ports,
                "    tcp sport %s drop" % ports,
                "    %s %sdrop" % (own, "" if from_clients else "tcp sport != %d " % client),
                "  }",
                "}",
            ]) + "\n"
        p = subprocess.run(["nft", "-f", "-"], input=script.encode(), capture_output=True, timeout=30)
        if p.returncode != 0:
            raise BrokerError("nft refused the partition of node %d: %s\n%s" % (node, p.stderr.decode(errors="replace"), script))
        self.isolated.add(node)
        with open(self.log_path(node), "ab") as log:
            log.write(("\n==== interop: isolated from the other nodes%s by nftables (%s) at %s\n" % (
                " and the clients" if from_clients else "", table, _utc_now())).encode())

    def heal(self, node):
        """Removes node N's partition (isolate)."""
        p = subprocess.run(["nft", "delete", "table", "inet", self._table(node)], capture_output=True, timeout=30)
        if p.returncode != 0:
            raise BrokerError("nft could not heal node %d: %s" % (node, p.stderr.decode(errors="replace")))
        self.isolated.discard(node)
        with open(self.log_path(node), "ab") as log:
            log.write(("\n==== interop: partition healed at %s\n" % _utc_now()).encode())

    def wipe(self, node=None):
        self.script("wipe", *([node] if node else []))

    def status(self):
        """{node: (running, answering)} from `cluster.sh status`."""
        out = {}
        for line in self.script("status").splitlines():
            m = re.match(r"node (\d+): (running|stopped).*?, (answers|no answer) on", line)
            if m:
                out[int(m.group(1))] = (m.group(2) == "running", m.group(3) == "answers")
        return out

    # -- reading the layout ------------------------------------------------------------------

    def environment(self, node):
        """The KAFKA_* variables and CLUSTER_ID node N runs with."""
        return dict(line.split("=", 1) for line in self.script("env", node).splitlines() if "=" in line)

    def client_port(self, node):
        m = re.search(r"PLAINTEXT://[^,]*:(\d+)", self.environment(node)["KAFKA_ADVERTISED_LISTENERS"])
        return int(m.group(1))

    @property
    def bootstrap(self):
        return ",".join("127.0.0.1:%d" % self.client_port(n) for n in NODES)

    def node_dir(self, node):
        return self.directory / str(node)

    def data_dir(self, node):
        return self.node_dir(node) / "data"

    def log_path(self, node):
        return self.node_dir(node) / "strom.log"

    def server_properties(self, node):
        """The generated server.properties of node N's last start, as a dict."""
        text = (self.node_dir(node) / "server.properties").read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))

    def meta_properties(self, node):
        text = (self.data_dir(node) / "meta.properties").read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))

    def pid(self, node):
        try:
            pid = int((self.node_dir(node) / "strom.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def alive(self, node):
        return self.pid(node) is not None

    def brokers_seen_by(self, node):
        """How many brokers node N lists in a Metadata v1 answer."""
        return metadata_brokers(self.client_port(node))

    def wait_for_brokers(self, count, timeout=60):
        """Waits until every running node lists `count` brokers (a formed multi-node cluster)."""
        deadline = time.time() + timeout
        seen = {}
        while time.time() < deadline:
            seen = {}
            for n in NODES:
                if self.alive(n):
                    try:
                        seen[n] = self.brokers_seen_by(n)
                    except (OSError, ConnectionError, BrokerError) as e:
                        seen[n] = "%s: %s" % (type(e).__name__, e)
            if seen and all(v == count for v in seen.values()):
                return
            time.sleep(0.2)
        raise BrokerError("brokers listed per node after %ss: %s (wanted %d each)" % (timeout, seen, count))

    def log_since(self, node, offset=0, max_lines=150):
        try:
            with open(self.log_path(node), "rb") as f:
                f.seek(offset)
                lines = f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(lines[-max_lines:])

    def close(self):
        """Heals every partition and stops every node; a node that is still running afterwards is
        killed and recorded."""
        for n in sorted(self.isolated):
            try:
                self.heal(n)
            except (BrokerError, subprocess.TimeoutExpired) as e:
                self.problems.append("healing node %d: %s" % (n, e))
        try:
            self.stop()
        except (BrokerError, subprocess.TimeoutExpired) as e:
            self.problems.append("stopping the cluster: %s" % e)
        for n in NODES:
            pid = self.pid(n)
            if pid is not None:
                self.problems.append("node %d (pid %d) survived stop; killed" % (n, pid))
                os.kill(pid, signal.SIGKILL)
        if self.cgroup is not None and self.cgroup.exists():
            for group in list(self.cgroup.glob("node-*")) + [self.cgroup]:
                try:
                    group.rmdir()
                except OSError:
                    pass  # a process is still in it (a killed node not yet reaped): harmless

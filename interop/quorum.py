"""Three combined broker+controller `strom` processes on loopback, formatted into one cluster, for
the multi-node tests; and a raw DescribeQuorum v0 probe, so the tests see the quorum itself rather
than what a client library makes of it."""
import socket
import struct
import subprocess
import time

from broker import BrokerError, BrokerProcess, _recv_exact, free_ports, strom_binary


def _uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _read_uvarint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def describe_quorum(port, timeout=3.0):
    """(error, leader id, leader epoch, high watermark, {voter id: log end offset}) from DescribeQuorum
    v0 sent to `port` (a client listener forwards it to the quorum leader)."""
    topic = b"__cluster_metadata"
    client = b"interop-quorum"
    body = struct.pack(">hhih", 55, 0, 11, len(client)) + client + b"\x00"  # header v2, no tags
    body += _uvarint(2) + _uvarint(len(topic) + 1) + topic + _uvarint(2) + struct.pack(">i", 0) + b"\x00" + b"\x00" + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(body)) + body)
        resp = _recv_exact(s, struct.unpack(">i", _recv_exact(s, 4))[0])
    (corr,) = struct.unpack_from(">i", resp, 0)
    assert corr == 11, "DescribeQuorum: correlation id %d" % corr
    pos = 4
    _, pos = _read_uvarint(resp, pos)  # header tags (none expected)
    (error,) = struct.unpack_from(">h", resp, pos)
    pos += 2
    n_topics, pos = _read_uvarint(resp, pos)
    if n_topics - 1 < 1:
        return error, -1, -1, -1, {}
    name_len, pos = _read_uvarint(resp, pos)
    pos += name_len - 1
    _, pos = _read_uvarint(resp, pos)  # partitions (1)
    _, perr, leader, epoch, hw = struct.unpack_from(">ihiiq", resp, pos)
    pos += 4 + 2 + 4 + 4 + 8
    voters = {}
    n_voters, pos = _read_uvarint(resp, pos)
    for _ in range(n_voters - 1):
        vid, leo = struct.unpack_from(">iq", resp, pos)  # v0: no fetch timestamps
        pos += 4 + 8
        _, pos = _read_uvarint(resp, pos)  # tags
        voters[vid] = leo
    return error or perr, leader, epoch, hw, voters


class Cluster:
    """Nodes 1-3, each a BrokerProcess with its own ports and data, sharing one cluster id and the
    voter list. `overrides` go to every node (e.g. shorter broker session timeouts for tests)."""

    def __init__(self, workdir, overrides=None):
        self.nodes = {}
        for node_id in (1, 2, 3):
            self.nodes[node_id] = BrokerProcess(workdir / ("node%d" % node_id))
        voters = ",".join("%d@127.0.0.1:%d" % (i, n.controller_port) for i, n in self.nodes.items())
        for node_id, n in self.nodes.items():
            n.overrides.update({"node.id": str(node_id), "controller.quorum.voters": voters})
            n.overrides.update(overrides or {})
        self.cluster_id = subprocess.check_output([str(strom_binary()), "random-uuid"]).decode().strip()
        self.format_args = []  # extra `strom format` arguments (e.g. --add-scram)

    def format(self, node_id):
        n = self.nodes[node_id]
        cmd = [str(strom_binary()), "format", "-t", self.cluster_id, "--ignore-formatted"] + self.format_args + n.command()[1:]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def start(self, timeout=60):
        """Formats and launches all three, then waits until each serves clients: a lone node cannot
        (no quorum), so they must start together."""
        for node_id, n in self.nodes.items():
            self.format(node_id)
            n.launch()
        for n in self.nodes.values():
            n.wait_ready(timeout)

    def stop(self):
        problems = []
        for n in self.nodes.values():
            n.stop()
            problems += n.problems
        return problems

    def bootstrap(self, *node_ids):
        return ",".join(self.nodes[i].bootstrap for i in (node_ids or self.nodes))

    def leader(self, via=None, timeout=30):
        """The quorum leader as the node(s) `via` see it; waits until one is known."""
        deadline = time.time() + timeout
        ids = [via] if via else list(self.nodes)
        last = None
        while time.time() < deadline:
            for i in ids:
                if not self.nodes[i].alive():
                    continue
                try:
                    error, leader, epoch, _, _ = describe_quorum(self.nodes[i].port)
                    if error == 0 and leader > 0:
                        return leader, epoch
                    last = "error %d leader %d" % (error, leader)
                except (OSError, ConnectionError, AssertionError, struct.error) as e:
                    last = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.05)
        raise BrokerError("no quorum leader after %ss (last: %s)" % (timeout, last))


def _compact_string(s):
    b = s.encode()
    return _uvarint(len(b) + 1) + b


def _voter_change(port, api_key, body, timeout):
    """Sends a flexible v0 request (AddRaftVoter 80 / RemoveRaftVoter 81); returns (error, message)."""
    client = b"interop-quorum"
    frame = struct.pack(">hhih", api_key, 0, 21, len(client)) + client + b"\x00" + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(frame)) + frame)
        resp = _recv_exact(s, struct.unpack(">i", _recv_exact(s, 4))[0])
    (corr,) = struct.unpack_from(">i", resp, 0)
    assert corr == 21, "voter change: correlation id %d" % corr
    pos = 4
    _, pos = _read_uvarint(resp, pos)  # header tags
    _, error = struct.unpack_from(">ih", resp, pos)  # throttle time, error code
    pos += 6
    n, pos = _read_uvarint(resp, pos)
    message = resp[pos:pos + n - 1].decode() if n > 0 else None
    return error, message


def directory_id_bytes(meta_properties_text):
    """The 16 bytes of `directory.id` (Kafka's URL-safe base64 UUID) from a meta.properties text."""
    import base64
    for line in meta_properties_text.splitlines():
        if line.startswith("directory.id="):
            return base64.urlsafe_b64decode(line.split("=", 1)[1].strip() + "==")
    raise AssertionError("no directory.id in meta.properties")


def add_raft_voter(port, voter_id, directory_id, host, controller_port, timeout_ms=20000):
    """AddRaftVoter v0 (KIP-853): make `voter_id` a voter, reached on CONTROLLER://host:controller_port."""
    body = b"\x00" + struct.pack(">ii", timeout_ms, voter_id) + directory_id
    body += _uvarint(2) + _compact_string("CONTROLLER") + _compact_string(host) + struct.pack(">H", controller_port) + b"\x00"
    body += b"\x00"
    return _voter_change(port, 80, body, timeout=timeout_ms / 1000 + 10)


def remove_raft_voter(port, voter_id, directory_id, timeout=30):
    """RemoveRaftVoter v0 (KIP-853)."""
    body = b"\x00" + struct.pack(">i", voter_id) + directory_id + b"\x00"
    return _voter_change(port, 81, body, timeout=timeout)

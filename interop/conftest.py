"""Fixtures: a work directory per run and per test, broker processes, and failure reports that
carry the broker's log lines from the failing test.

Environment: STROM_BIN (default .build/debug/strom), INTEROP_BROKER=strom|recording,
INTEROP_WORK (the run's directory; default a new /tmp/strom-interop-*), INTEROP_KEEP=1 (keep the
run directory even when everything passed; it is always kept after a failure).
"""
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import BrokerProcess, broker_kind, strom_binary  # noqa: E402
from cluster import Cluster  # noqa: E402

_skipped = []


def pytest_configure(config):
    base = os.environ.get("INTEROP_WORK")
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    config._interop_run_dir = Path(base) if base else Path(tempfile.mkdtemp(prefix="strom-interop-"))


def pytest_report_header(config):
    kind = broker_kind()
    what = str(strom_binary()) if kind == "strom" else "Fixtures/capture/recording_broker.py (in-memory stand-in)"
    return ["interop broker: %s: %s" % (kind, what), "interop work dir: %s" % config._interop_run_dir]


@pytest.fixture(scope="session")
def run_dir(pytestconfig):
    return pytestconfig._interop_run_dir


@pytest.fixture
def workdir(request, run_dir):
    d = run_dir / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def broker(request, run_dir):
    """One broker for the whole module (topics differ per test)."""
    b = BrokerProcess(run_dir / ("broker-" + request.module.__name__))
    b.start()
    yield b
    b.stop()
    if b.problems:
        pytest.fail("broker of %s: %s" % (request.module.__name__, "; ".join(b.problems)))


@pytest.fixture
def fresh_broker(workdir):
    """A broker of the test's own (for tests that kill it)."""
    b = BrokerProcess(workdir / "broker")
    b.start()
    yield b
    b.stop()
    if b.problems:
        pytest.fail("broker of this test: %s" % "; ".join(b.problems))


@pytest.fixture
def cluster(workdir):
    """The three-node cluster of docker/compose.yaml (scripts/cluster.sh; STROM_COMPOSE shifts it),
    not started: each test starts what it needs. Fails the test with whatever the cluster noticed
    (a node that died, log lines that say so). Tests that need other settings define their own."""
    c = Cluster(workdir / "cluster")
    yield c
    c.close()
    if c.problems:
        pytest.fail("cluster: %s" % "; ".join(c.problems))


@pytest.fixture(autouse=True)
def _watch_broker(request):
    """Restarts a module broker that died in an earlier test, remembers where the log stood, and
    fails the test if the broker died during it."""
    name = next((n for n in ("broker", "fresh_broker") if n in request.fixturenames), None)
    if name is None:
        yield
        return
    b = request.getfixturevalue(name)
    if not b.alive():
        b.start()
    request.node._interop_broker = b
    request.node._interop_log_start = b.log_size()
    yield
    if not b.alive():
        pytest.fail("the broker process exited (code %s) during this test; its log:\n%s" % (
            b.proc.returncode, b.log_since(request.node._interop_log_start)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    b = getattr(item, "_interop_broker", None)
    if b is not None and rep.failed and rep.when in ("call", "teardown"):
        rep.sections.append(("broker log during this test (%s)" % b.log_path,
                             b.log_since(item._interop_log_start)))


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if _skipped:
        # A skipped interop test hides a missing client or capability: that is a failure here.
        session.exitstatus = 1
    run_dir = session.config._interop_run_dir
    if session.exitstatus == 0 and not _skipped and os.environ.get("INTEROP_KEEP") != "1":
        shutil.rmtree(run_dir, ignore_errors=True)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _skipped:
        terminalreporter.write_line("interop: %d test(s) skipped, which counts as failure: %s" % (
            len(_skipped), ", ".join(_skipped)), red=True)
    run_dir = config._interop_run_dir
    if run_dir.exists():
        terminalreporter.write_line("interop work dir (specs, results, client and broker logs): %s" % run_dir)

"""Consumer groups (the classic protocol) with real clients: members of different libraries in one
group while they join and leave mid-stream, kcat -G, committed offsets across a kill -9 of the
broker, a static member restarting without a rebalance, two groups on one topic, the admin APIs
(ListGroups, DescribeGroups, DeleteGroups, OffsetFetch, OffsetDelete), every group-capable
client resuming from its own commits, and a rebalance timing measurement.

Members are subprocesses (groups.py, drivers/group_consumer.py, drivers/sarama-group) that commit
synchronously after each processed batch (sarama 1.22 cannot: it commits marked offsets every
100 ms and on close) and log every record, assignment and commit to an events file. Every test
first checks that the broker advertises the APIs it needs, and fails naming them if not.

The module's broker runs with group.initial.rebalance.delay.ms=500 (Kafka's default of 3000 ms
only delays the first join of an empty group); members use heartbeat.interval.ms=1000 and
session.timeout.ms=10000 unless a test says otherwise.
"""
import json
import random
import re
import subprocess
import time
from collections import Counter

import pytest

import kcat
from broker import BrokerProcess
from groups import (ADMIN_APIS, MEMBER_APIS, Member, Members, SteadyProducer, admin, admin_one, check_client_versions,
                    consumed_check, create_topic, median, produce_keys, rand, require_apis, settled, wait_settled,
                    wait_until)

GROUP_OVERRIDES = {"group.initial.rebalance.delay.ms": "500"}


@pytest.fixture(scope="module")
def broker(request, run_dir):
    """The module's broker, with a short initial rebalance delay (see the module doc)."""
    b = BrokerProcess(run_dir / ("broker-" + request.module.__name__), overrides=GROUP_OVERRIDES)
    b.start()
    yield b
    b.stop()
    if b.problems:
        pytest.fail("broker of %s: %s" % (request.module.__name__, "; ".join(b.problems)))


@pytest.fixture
def fresh_broker(workdir):
    b = BrokerProcess(workdir / "broker", overrides=GROUP_OVERRIDES)
    b.start()
    yield b
    b.stop()
    if b.problems:
        pytest.fail("broker of this test: %s" % "; ".join(b.problems))


@pytest.fixture
def members():
    ms = Members()
    yield ms
    ms.cleanup()


def fail_with(problems, members_):
    if problems:
        pytest.fail("\n".join(problems) + "\nmembers:\n" + members_.describe())


# ---------------------------------------------------------------- 1. three clients, joins and leaves mid-stream

@pytest.mark.timeout(240)
def test_mixed_clients_join_and_leave_mid_stream(broker, workdir, members):
    """confluent-kafka 2.16, kafka-python 3.x and aiokafka share a group on a 6-partition topic
    while a producer writes a numbered sequence: A joins, then B, then C, then A and B leave
    cleanly, one after the other. Every produced record must be consumed exactly once across the
    five rebalances, and the group's committed offsets must end at the log end."""
    require_apis(broker, MEMBER_APIS + (15,))
    topic, group, parts = rand("grp-mixed"), rand("g-mixed"), 6
    create_topic(broker, topic, parts, workdir)
    producer = SteadyProducer(broker, topic, parts, workdir, rate=60)
    try:
        live = []
        for name, client in (("A", "confluent-venv"), ("B", "kafka-python-venv"), ("C", "aiokafka")):
            t = time.time()
            m = members.add(Member(client, broker, workdir, topic, group, name))
            live.append(m)
            wait_settled(live, parts, t, members, what="after %s (%s) joined" % (name, client))
            before = len(m.records())
            wait_until(lambda: len(m.records()) > before + 5, 30, "%s to consume records" % name, members)
        # All three in the group: DescribeGroups must agree with what each member holds, and the
        # protocol must be roundrobin, the one assignor all three support (aiokafka's only one).
        d = admin_one("confluent", broker, workdir, "describe-3", {"op": "describe", "groups": [group]})[group]
        got = {m["client_id"]: [p for _, p in m["assignment"]] for m in d.get("members", [])}
        own = {"interop-" + m.name: m.assignment() for m in live}
        if d.get("state") != "STABLE" or d.get("protocol") != "roundrobin" or got != own:
            fail_with(["DescribeGroups with three members: state %s, protocol %r, assignments %s; the members "
                       "report %s (expected Stable, roundrobin)" % (d.get("state"), d.get("protocol"), got, own)],
                      members)
        for leaving in ("A", "B"):
            m = next(x for x in live if x.name == leaving)
            t = m.stop()
            live.remove(m)
            wait_settled(live, parts, t, members, what="after %s left" % leaving)
            counts = [len(x.records()) for x in live]
            wait_until(lambda: all(len(x.records()) > c + 3 for x, c in zip(live, counts)), 30,
                       "the remaining members to consume after %s left" % leaving, members)
        acked, summary = producer.stop()
        wait_until(lambda: set(acked) <= {r for x in members.all for r in x.records()}, 60,
                   "every acknowledged record (%d) to be consumed" % len(acked), members)
        live[0].stop()
    finally:
        producer.cleanup()
    problems = consumed_check(acked, members.all, "group %s" % group)
    problems += ["%s: %s" % (m.name, e) for m in members.all for e in m.errors()]
    problems += check_client_versions(members.all)
    ends = {}
    for p, o in acked:
        ends[p] = max(ends.get(p, 0), o + 1)
    committed = admin_one("confluent", broker, workdir, "offsets", {"op": "offsets", "group": group})
    want = {"%s:%d" % (topic, p): o for p, o in ends.items()}
    if committed != want:
        problems.append("committed offsets (OffsetFetch via confluent-kafka 2.16) %s, expected the log ends %s" % (
            committed, want))
    print("mixed group: %d records produced (%s), %s" % (
        len(acked), summary, {m.name: len(m.records()) for m in members.all}))
    fail_with(problems, members)


# ---------------------------------------------------------------- 2. kcat -G

def kcat_group(broker, group, topic, workdir, tag, timeout=60):
    """`kcat -G group topic` from the earliest offset until every assigned partition is at its end
    (-e); returns [(partition, offset, key)] and kcat's stderr."""
    cmd = [kcat.binary(), "-b", broker.bootstrap, "-G", group, "-X", "auto.offset.reset=earliest",
           "-X", "heartbeat.interval.ms=1000", "-X", "session.timeout.ms=10000", "-e", "-q", "-f", "%p %o %k\n", topic]
    log = workdir / ("kcat-%s.log" % tag)
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        out, err, rc = p.stdout, p.stderr.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, err, rc = e.stdout or b"", (e.stderr or b"").decode("utf-8", "replace") + "\n(timed out)", "timeout"
    log.write_text("$ %s\nexit %s\n%s\n--- stdout\n%s" % (" ".join(cmd), rc, err, out.decode("utf-8", "replace")))
    if rc != 0 or re.search(r"(?i)error|fail", err):
        pytest.fail("kcat -G %s %s (%s) exited %s: %s" % (group, topic, tag, rc, err.strip()[-1500:]))
    rows = []
    for line in out.decode().splitlines():
        p_, o, k = line.split(" ", 2)
        rows.append((int(p_), int(o), k))
    return rows


@pytest.mark.timeout(180)
def test_kcat_group_consumes_all_then_only_new(broker, workdir):
    """`kcat -G` (librdkafka 2.0.2, auto-commit, committing on close) reads all 60 records of a
    3-partition topic; after 30 more are produced, a second `kcat -G` in the same group reads
    exactly those 30."""
    require_apis(broker, MEMBER_APIS)
    topic, group = rand("grp-kcat"), rand("g-kcat")
    create_topic(broker, topic, 3, workdir)
    first = produce_keys(broker, topic, 3, 0, 60, workdir, "produce-1")
    rows = kcat_group(broker, group, topic, workdir, "run-1")
    problems = check_rows(rows, first, "first kcat -G run")
    committed = admin_one("confluent", broker, workdir, "offsets-1", {"op": "offsets", "group": group})
    want = {"%s:%d" % (topic, p): 20 for p in range(3)}
    if committed != want:
        problems.append("after the first run the group's committed offsets are %s, expected %s" % (committed, want))
    second = produce_keys(broker, topic, 3, 60, 30, workdir, "produce-2")
    rows = kcat_group(broker, group, topic, workdir, "run-2")
    problems += check_rows(rows, second, "second kcat -G run (same group, after 30 more)")
    assert not problems, "\n".join(problems) + "\nkcat logs: %s" % workdir


def check_rows(rows, expected, what):
    got = {}
    problems = []
    for p, o, k in rows:
        if (p, o) in got:
            problems.append("%s: p%d@%d read twice" % (what, p, o))
        got[(p, o)] = k
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    wrong = [(r, got[r], expected[r]) for r in sorted(set(got) & set(expected)) if got[r] != expected[r]]
    if missing:
        problems.append("%s: %d of %d records not read, first: %s" % (what, len(missing), len(expected), missing[:10]))
    if extra:
        problems.append("%s: %d records read that it should not have (already committed or unknown), first: %s" % (
            what, len(extra), extra[:10]))
    if wrong:
        problems.append("%s: keys differ (record, read, produced): %s" % (what, wrong[:10]))
    return problems


# ---------------------------------------------------------------- 3. commit, kill -9, restart, resume

@pytest.mark.timeout(240)
def test_committed_offsets_survive_kill9(fresh_broker, workdir, members):
    """A confluent-kafka 2.16 member processes 40 of 90 records (3 partitions), committing
    synchronously after each batch, and leaves. The broker is killed with SIGKILL and restarted
    on the same data. The committed offsets must read back the same before and after (OffsetFetch),
    and a kafka-python 3.x member of the same group must start exactly there: no record
    redelivered, none skipped."""
    broker = fresh_broker
    require_apis(broker, MEMBER_APIS)
    topic, group = rand("grp-kill"), rand("g-kill")
    create_topic(broker, topic, 3, workdir)
    produced = produce_keys(broker, topic, 3, 0, 90, workdir, "produce")
    first = members.add(Member("confluent-venv", broker, workdir, topic, group, "first", max_records=40))
    first.wait_exit(90)
    problems = ["first: %s" % e for e in first.errors()]
    done = first.records()
    if len(done) != 40 or first.proc.returncode != 0:
        fail_with(problems + ["the first member processed %d records (exit %s), expected 40" % (
            len(done), first.proc.returncode)], members)
    commits = first.events("commit")
    expect = {}
    for c in commits:
        if not c.get("error"):
            for p, o in c["offsets"].items():
                expect["%s:%s" % (topic, p)] = o
    processed_ends = {}
    for p, o in done:
        processed_ends["%s:%d" % (topic, p)] = max(processed_ends.get("%s:%d" % (topic, p), 0), o + 1)
    if expect != processed_ends:
        problems.append("the first member's successful commits %s do not cover what it processed %s" % (
            expect, processed_ends))
    before = admin_one("confluent", broker, workdir, "offsets-before", {"op": "offsets", "group": group})
    if before != expect:
        problems.append("before the kill, OffsetFetch says %s, the member committed %s" % (before, expect))
    broker.kill9()
    broker.start()
    after = admin_one("confluent", broker, workdir, "offsets-after", {"op": "offsets", "group": group})
    if after != expect:
        fail_with(problems + ["after kill -9 and restart, OffsetFetch says %s, the member had committed %s" % (
            after, expect)], members)
    second = members.add(Member("kafka-python-venv", broker, workdir, topic, group, "second"))
    rest = {r: k for r, k in produced.items() if r not in set(done)}
    wait_until(lambda: set(rest) <= set(second.records()), 60,
               "the second member to read the %d records after the committed offsets" % len(rest), members)
    second.stop()
    problems += ["second: %s" % e for e in second.errors()]
    problems += consumed_check(rest, [second], "the member after the restart")
    firsts = {}
    for p, o in second.records():
        firsts.setdefault(p, o)
    ends = {p: 30 for p in range(3)}
    want_firsts = {p: expect.get("%s:%d" % (topic, p), 0) for p in range(3)}
    want_firsts = {p: o for p, o in want_firsts.items() if o < ends[p]}
    if firsts != want_firsts:
        problems.append("after the restart the group resumed at %s, the committed offsets were %s" % (
            firsts, want_firsts))
    fail_with(problems, members)


@pytest.mark.timeout(240)
def test_active_group_survives_broker_kill9(fresh_broker, workdir, members):
    """Two members (confluent-kafka 2.16, kafka-python 3.x) consume a 4-partition topic while a
    producer writes; the broker is killed with SIGKILL and restarted on the same data and port.
    The members must carry on (rejoining if the coordinator asks them to) and together read every
    acknowledged record; a record may be read twice only if a commit covering it failed (the
    broker died between the read and the commit). 12 s after the restart (longer than the
    session timeout) both must still be members sharing the partitions and consuming."""
    broker = fresh_broker
    require_apis(broker, MEMBER_APIS)
    topic, group, parts = rand("grp-bkill"), rand("g-bkill"), 4
    create_topic(broker, topic, parts, workdir)
    producer = SteadyProducer(broker, topic, parts, workdir, rate=40)
    try:
        t = time.time()
        a = members.add(Member("confluent-venv", broker, workdir, topic, group, "a"))
        b = members.add(Member("kafka-python-venv", broker, workdir, topic, group, "b"))
        wait_settled([a, b], parts, t, members, what="two members")
        wait_until(lambda: len(a.records()) > 10 and len(b.records()) > 10, 30, "both to consume", members)
        broker.kill9()
        time.sleep(1.0)
        t_restart = time.time()
        broker.start()
        counts = {m.name: len(m.records()) for m in (a, b)}
        wait_until(lambda: all(len(m.records()) > counts[m.name] + 10 for m in (a, b)), 60,
                   "both members to consume again after the restart", members)
        # Longer than session.timeout.ms (10 s): the restarted coordinator keeps the members alive.
        time.sleep(max(0.0, t_restart + 12 - time.time()))
        counts = {m.name: len(m.records()) for m in (a, b)}
        wait_until(lambda: all(len(m.records()) > counts[m.name] + 10 for m in (a, b)), 30,
                   "both members to still consume 12 s after the restart", members)
        if not settled([a, b], parts, 0):
            fail_with(["12 s after the restart the members no longer share the partitions"], members)
        acked, _ = producer.stop()
        wait_until(lambda: set(acked) <= set(a.records()) | set(b.records()), 60,
                   "every acknowledged record (%d) to be consumed" % len(acked), members)
        a.stop()
        b.stop()
    finally:
        producer.cleanup()
    failed_commits = [(int(p), o) for m in (a, b) for c in m.events("commit") if c.get("error")
                      for p, o in c["offsets"].items()]
    seen = Counter(a.records() + b.records())
    unexplained = sorted(r for r, n in seen.items() if n > 1
                         and not any(p == r[0] and o > r[1] for p, o in failed_commits))
    problems = []
    if unexplained:
        problems.append("%d records read twice though no failed commit covered them, first: %s" % (
            len(unexplained), unexplained[:10]))
    missing = sorted(set(acked) - set(seen))
    if missing:
        problems.append("%d acknowledged records never consumed, first: %s" % (len(missing), missing[:10]))
    rebalances = {m.name: [(round(e["t"] - t_restart, 2), e["ev"], e["partitions"])
                           for e in m.rebalance_events_since(t_restart)] for m in (a, b)}
    print("broker kill -9 with an active group: %d records, %d read twice (failed commits: %d), rebalance events "
          "after the restart (s): %s" % (len(acked), sum(1 for n in seen.values() if n > 1), len(failed_commits),
                                         rebalances))
    fail_with(problems, members)


# ---------------------------------------------------------------- 4. static members

@pytest.mark.timeout(180)
@pytest.mark.parametrize("restarted,other,how,leader", [
    ("confluent-venv", "kafka-python-venv", "close", False),
    ("kafka-python-venv", "confluent-venv", "kill9", False),
    ("confluent-venv", "kafka-python-venv", "close", True),
    ("kafka-python-venv", "confluent-venv", "kill9", True),
], ids=["confluent-close", "kafka-python-kill9", "confluent-leader-close", "kafka-python-leader-kill9"])
def test_static_member_restart_without_rebalance(broker, workdir, members, restarted, other, how, leader):
    """Two static members (group.instance.id, session.timeout.ms=30000) share a 6-partition topic.
    One is stopped without leaving (librdkafka's close() sends no LeaveGroup for a static member;
    or kill -9) and restarted with the same group.instance.id within the session timeout. It must
    get the same partitions back and the other member must see no rebalance: no revoke or assign
    callback (and, for librdkafka, an unchanged rebalance count), and DescribeGroups must show the
    same two instances with the same assignments. The members join one after the other; in the
    -leader variants the restarted member joined first, so it is the group's leader (Kafka answers
    a static leader's rejoin without a rebalance too, with SkipAssignment from JoinGroup v9)."""
    require_apis(broker, MEMBER_APIS + (15,))
    topic, group, parts = rand("grp-static"), rand("g-static"), 6
    create_topic(broker, topic, parts, workdir)
    produce_keys(broker, topic, parts, 0, 60, workdir, "produce")
    kw = {"session_timeout_ms": 30000, "heartbeat_interval_ms": 1000}
    order = [("restarted-1", restarted, "inst-restarted"), ("other", other, "inst-other")]
    if not leader:
        order.reverse()
    started = {}
    for name, client, inst in order:
        t = time.time()
        started[name] = members.add(Member(client, broker, workdir, topic, group, name, instance_id=inst, **kw))
        wait_settled(list(started.values()), parts, t, members, what="%s (%s) to join" % (name, client))
    o, r1 = started["other"], started["restarted-1"]
    time.sleep(2.5)  # a couple of heartbeats: the group is stable
    if not settled([o, r1], parts, t):
        fail_with(["the group did not stay settled"], members)
    mark = time.time()
    held = r1.assignment()
    other_held = o.assignment()
    before = describe_instances(broker, workdir, group, "before")
    if how == "close":
        r1.stop()
    else:
        r1.kill9()
    between = describe_instances(broker, workdir, group, "stopped")
    r2 = members.add(Member(restarted, broker, workdir, topic, group, "restarted-2",
                            instance_id="inst-restarted", **kw))
    wait_until(lambda: r2.events("assigned"), 40,
               "the restarted static member to get an assignment", members)
    time.sleep(4)  # longer than the other member's heartbeat interval: a rebalance would show by now
    problems = []
    if r2.assignment() != held:
        problems.append("the restarted member got %s, it held %s before" % (r2.assignment(), held))
    moves = o.rebalance_events_since(mark)
    if moves:
        problems.append("the other member saw a rebalance: %s" % [(e["ev"], e["partitions"]) for e in moves])
    if o.assignment() != other_held:
        problems.append("the other member now holds %s, before %s" % (o.assignment(), other_held))
    gens = [e.get("generation") for e in r1.events("assigned")[-1:] + r2.events("assigned")]
    if None not in gens and len(set(gens)) != 1:
        problems.append("the restarted member's generation changed: %s (before the stop, then after)" % gens)
    stats = o.events("stats")  # librdkafka only, written when its group state changes
    cnt_before = [e["cgrp"].get("rebalance_cnt") for e in stats if e["t"] < mark][-1:]
    cnt_after = [e["cgrp"].get("rebalance_cnt") for e in stats if e["t"] >= mark]
    if cnt_before and any(c != cnt_before[0] for c in cnt_after):
        problems.append("librdkafka's rebalance count of the other member went from %s to %s" % (
            cnt_before[0], cnt_after))
    after = describe_instances(broker, workdir, group, "after")
    for label, d in (("while stopped", between), ("after the restart", after)):
        if d != before:
            problems.append("DescribeGroups %s: %s, before the stop: %s" % (label, d, before))
    o.stop()
    r2.stop()
    problems += ["%s: %s" % (m.name, e) for m in members.all for e in m.errors()]
    fail_with(problems, members)


def describe_instances(broker, workdir, group, tag):
    """(state, {instance id: assignment}) from DescribeGroups via confluent-kafka 2.16."""
    d = admin_one("confluent", broker, workdir, "describe-" + tag, {"op": "describe", "groups": [group]})[group]
    if d.get("error"):
        pytest.fail("DescribeGroups %s (%s): %s" % (group, tag, d["error"]))
    return d["state"], {m["instance_id"]: [p for _, p in m["assignment"]] for m in d["members"]}


@pytest.mark.timeout(180)
def test_killed_member_expires_after_session_timeout(broker, workdir, members):
    """Two dynamic members (confluent-kafka 2.16 and kafka-python 3.x, session.timeout.ms=6000)
    share a 4-partition topic while a producer writes; the kafka-python member is killed with
    SIGKILL (no LeaveGroup). The coordinator must expire it after the session timeout (not
    before: Kafka does not act on the closed connection) and give its partitions to the other
    member, which must then read everything: nothing lost, and nothing read twice except records
    the killed member processed after its last successful commit."""
    require_apis(broker, MEMBER_APIS)
    topic, group, parts, session = rand("grp-expire"), rand("g-expire"), 4, 6000
    create_topic(broker, topic, parts, workdir)
    producer = SteadyProducer(broker, topic, parts, workdir, rate=40)
    try:
        t = time.time()
        a = members.add(Member("confluent-venv", broker, workdir, topic, group, "a", session_timeout_ms=session))
        wait_settled([a], parts, t, members, what="a to join")
        t = time.time()
        b = members.add(Member("kafka-python-venv", broker, workdir, topic, group, "b", session_timeout_ms=session))
        wait_settled([a, b], parts, t, members, what="b to join")
        wait_until(lambda: len(b.records()) > 10, 30, "b to consume", members)
        t_kill = b.kill9()
        wait_settled([a], parts, t_kill, members, timeout=40, what="a to take over b's partitions")
        took = a.assigned_since(t_kill)[0]["t"] - t_kill
        acked, _ = producer.stop()
        wait_until(lambda: set(acked) <= set(a.records()) | set(b.records()), 60,
                   "every acknowledged record (%d) to be consumed" % len(acked), members)
        a.stop()
    finally:
        producer.cleanup()
    problems = []
    print("killed member: partitions reassigned %.2f s after the kill (session.timeout.ms=%d)" % (took, session))
    if not session / 1000.0 - 1.5 <= took <= session / 1000.0 + 6:
        problems.append("the killed member's partitions moved %.2f s after the kill; with session.timeout.ms=%d "
                        "and 1 s heartbeats expected between %.1f and %.1f s" % (
                            took, session, session / 1000.0 - 1.5, session / 1000.0 + 6))
    committed = {}
    for c in b.events("commit"):
        if not c.get("error"):
            for p, o in c["offsets"].items():
                committed[int(p)] = max(committed.get(int(p), 0), o)
    redelivered_ok = {r for r in b.records() if r[1] >= committed.get(r[0], 0)}
    seen_a, seen_b = set(a.records()), set(b.records())
    bad_dups = sorted((seen_a & seen_b) - redelivered_ok)
    if bad_dups:
        problems.append("%d records read by both members though the killed one had committed past them, first: %s" % (
            len(bad_dups), bad_dups[:10]))
    dup_a = [r for r, n in Counter(a.records()).items() if n > 1]
    if dup_a:
        problems.append("the surviving member read %d records twice, first: %s" % (len(dup_a), sorted(dup_a)[:10]))
    missing = sorted(set(acked) - seen_a - seen_b)
    if missing:
        problems.append("%d acknowledged records never consumed, first: %s" % (len(missing), missing[:10]))
    problems += ["a: %s" % e for e in a.errors()]
    fail_with(problems, members)


# ---------------------------------------------------------------- 5. two groups on one topic

@pytest.mark.timeout(150)
def test_two_groups_each_get_every_record(broker, workdir, members):
    """A confluent-kafka 2.16 member in one group and an aiokafka member in another both consume
    every record of a 3-partition topic, 30 produced before they join and 30 while they run."""
    require_apis(broker, MEMBER_APIS)
    topic = rand("grp-two")
    create_topic(broker, topic, 3, workdir)
    produced = produce_keys(broker, topic, 3, 0, 30, workdir, "produce-1")
    g1 = members.add(Member("confluent-venv", broker, workdir, topic, rand("g-one"), "one"))
    g2 = members.add(Member("aiokafka", broker, workdir, topic, rand("g-two"), "two"))
    wait_until(lambda: len(g1.records()) >= 30 and len(g2.records()) >= 30, 60, "both groups to read 30", members)
    produced.update(produce_keys(broker, topic, 3, 30, 30, workdir, "produce-2"))
    wait_until(lambda: all(set(produced) <= set(m.records()) for m in (g1, g2)), 60,
               "both groups to read all 60", members)
    g1.stop()
    g2.stop()
    problems = consumed_check(produced, [g1], "group one") + consumed_check(produced, [g2], "group two")
    problems += ["%s: %s" % (m.name, e) for m in members.all for e in m.errors()]
    fail_with(problems, members)


# ---------------------------------------------------------------- 6. admin

@pytest.mark.timeout(200)
def test_admin_list_describe_delete_offsets(broker, workdir, members):
    """ListGroups, DescribeGroups, DeleteGroups and OffsetFetch through confluent-kafka 2.16's
    AdminClient and kafka-python 3.x's KafkaAdminClient, and OffsetDelete through kafka-python
    (confluent-kafka's Python AdminClient has no delete_consumer_group_offsets), checked against
    what the members themselves report: a Stable group of two members (range assignor), an Empty
    group with committed offsets, the errors Kafka gives for deleting a non-empty group, for the
    offsets of a subscribed topic and for committing offsets to a group with members from
    outside it (AdminClient alter offsets), such a commit to the empty group, and the state after
    deletion."""
    require_apis(broker, MEMBER_APIS + ADMIN_APIS)
    topic, parts = rand("grp-admin"), 4
    active, idle = rand("g-active"), rand("g-idle")
    create_topic(broker, topic, parts, workdir)
    produced = produce_keys(broker, topic, parts, 0, 40, workdir, "produce")
    e = members.add(Member("confluent-venv", broker, workdir, topic, idle, "idle", max_records=25))
    e.wait_exit(60)
    t = time.time()
    a = members.add(Member("confluent-venv", broker, workdir, topic, active, "a"))
    b = members.add(Member("kafka-python-venv", broker, workdir, topic, active, "b"))
    wait_settled([a, b], parts, t, members, what="two members")
    wait_until(lambda: set(produced) <= set(a.records()) | set(b.records()), 60, "the group to read all 40", members)
    time.sleep(1.5)
    problems = []

    idle_committed = {}
    for c in e.events("commit"):
        if not c.get("error"):
            idle_committed.update({"%s:%s" % (topic, p): o for p, o in c["offsets"].items()})

    def check(cond, msg):
        if not cond:
            problems.append(msg)

    # ListGroups, both clients
    for lib in ("confluent", "kafka-python"):
        listed = {g["group"]: g for g in admin_one(lib, broker, workdir, "list-1", {"op": "list"})}
        check(active in listed and idle in listed, "%s ListGroups: %s and %s not both listed: %s" % (
            lib, active, idle, sorted(listed)))
        if active in listed and idle in listed:
            check((listed[active]["state"] or "").upper() == "STABLE", "%s ListGroups: %s is %s, expected Stable" % (
                lib, active, listed[active]))
            check((listed[idle]["state"] or "").upper() == "EMPTY", "%s ListGroups: %s is %s, expected Empty" % (
                lib, idle, listed[idle]))
            check(listed[active]["protocol_type"] == "consumer", "%s ListGroups: protocol type of %s is %r" % (
                lib, active, listed[active]["protocol_type"]))

    # DescribeGroups, both clients
    own = {"interop-a": a.assignment(), "interop-b": b.assignment()}
    for lib in ("confluent", "kafka-python"):
        d = admin_one(lib, broker, workdir, "describe-1", {"op": "describe", "groups": [active, idle]})
        da, di = d.get(active, {}), d.get(idle, {})
        check(not da.get("error") and (da.get("state") or "").upper() == "STABLE",
              "%s DescribeGroups %s: state %r, error %r" % (lib, active, da.get("state"), da.get("error")))
        check(da.get("protocol") == "range", "%s DescribeGroups %s: protocol %r, expected range" % (
            lib, active, da.get("protocol")))
        check(da.get("protocol_type") == "consumer", "%s DescribeGroups %s: protocol type %r" % (
            lib, active, da.get("protocol_type")))
        got = {m["client_id"]: [p for t_, p in m["assignment"] if t_ == topic] for m in da.get("members", [])}
        check(got == own, "%s DescribeGroups %s: members' assignments %s, the members report %s" % (
            lib, active, got, own))
        for m in da.get("members", []):
            check(m["member_id"] and m["host"], "%s DescribeGroups: member without id or host: %s" % (lib, m))
        check((di.get("state") or "").upper() == "EMPTY" and di.get("members") == [],
              "%s DescribeGroups %s: %s, expected Empty with no members" % (lib, idle, di))

    # what an active group refuses
    r = admin("confluent", broker, workdir, "delete-active", [{"op": "delete", "groups": [active]}])[0]
    check(r["ok"] and r["result"] == {active: "NON_EMPTY_GROUP"},
          "DeleteGroups of the active group %s: %s, expected NON_EMPTY_GROUP (68)" % (active, r))
    r = admin("kafka-python", broker, workdir, "delete-offsets-active",
              [{"op": "delete_offsets", "group": active, "topic": topic, "partitions": [0]}])[0]
    check(r["ok"] and r["result"] == {"%s:0" % topic: "GroupSubscribedToTopicError"},
          "OffsetDelete on the active group's subscribed topic: %s, expected GROUP_SUBSCRIBED_TO_TOPIC (86)" % (r,))

    # OffsetCommit from outside the group (generation -1, no member id): refused while it has
    # members (Kafka: UNKNOWN_MEMBER_ID), so the members' commits stand
    for lib, p in (("confluent", 0), ("kafka-python", 1)):
        r = admin(lib, broker, workdir, "alter-active", [{"op": "alter", "group": active, "topic": topic,
                                                          "offsets": {str(p): 3}}])[0]
        want_err = "UNKNOWN_MEMBER_ID" if lib == "confluent" else "UnknownMemberIdError"
        check(r["ok"] and r["result"] == {"%s:%d" % (topic, p): want_err},
              "%s alter offsets of the active group %s: %s, expected UNKNOWN_MEMBER_ID (25)" % (lib, active, r))

    # OffsetFetch and OffsetDelete on the idle group
    got = admin_one("confluent", broker, workdir, "offsets-idle", {"op": "offsets", "group": idle})
    check(got == idle_committed, "OffsetFetch %s: %s, the member committed %s" % (idle, got, idle_committed))
    got = admin_one("kafka-python", broker, workdir, "offsets-idle", {"op": "offsets", "group": idle})
    check(got == idle_committed, "kafka-python OffsetFetch %s: %s, the member committed %s" % (
        idle, got, idle_committed))
    check(len(idle_committed) >= 2, "the idle group's member committed offsets of fewer than 2 partitions: %s" % (
        idle_committed,))
    victim = min(int(k.rsplit(":", 1)[1]) for k in idle_committed) if idle_committed else 0
    deleted = admin_one("kafka-python", broker, workdir, "delete-offsets-idle",
                        {"op": "delete_offsets", "group": idle, "topic": topic, "partitions": [victim]})
    check(deleted == {"%s:%d" % (topic, victim): "OK"}, "OffsetDelete %s %s[%d]: %s" % (idle, topic, victim, deleted))
    got = admin_one("confluent", broker, workdir, "offsets-idle-2", {"op": "offsets", "group": idle})
    want = {k: v for k, v in idle_committed.items() if k != "%s:%d" % (topic, victim)}
    check(got == want, "OffsetFetch %s after OffsetDelete of partition %d: %s, expected %s" % (
        idle, victim, got, want))

    # an empty group takes offsets from outside (what `kafka-consumer-groups --reset-offsets` does)
    last = max(int(k.rsplit(":", 1)[1]) for k in idle_committed) if idle_committed else 3
    for lib, o in (("confluent", 4), ("kafka-python", 6)):
        got = admin_one(lib, broker, workdir, "alter-idle", {"op": "alter", "group": idle, "topic": topic,
                                                             "offsets": {str(last): o}})
        check(got == {"%s:%d" % (topic, last): "OK"}, "%s alter offsets of the empty group %s: %s" % (lib, idle, got))
        want["%s:%d" % (topic, last)] = o
        got = admin_one("confluent", broker, workdir, "offsets-idle-3", {"op": "offsets", "group": idle})
        check(got == want, "OffsetFetch %s after %s altered %s[%d] to %d: %s, expected %s" % (
            idle, lib, topic, last, o, got, want))

    # the active group empties; its offsets are the log ends; then both groups are deleted
    a.stop()
    b.stop()
    ends = {"%s:%d" % (topic, p): 10 for p in range(parts)}
    got = admin_one("kafka-python", broker, workdir, "offsets-active", {"op": "offsets", "group": active})
    check(got == ends, "OffsetFetch %s after its members left: %s, expected %s" % (active, got, ends))
    listed = {g["group"]: g for g in admin_one("confluent", broker, workdir, "list-2", {"op": "list"})}
    check((listed.get(active, {}).get("state") or "").upper() == "EMPTY",
          "ListGroups after both members left: %s" % listed.get(active))
    deleted = admin_one("confluent", broker, workdir, "delete", {"op": "delete", "groups": [active, idle]})
    check(deleted == {active: "OK", idle: "OK"}, "DeleteGroups of two empty groups: %s" % deleted)
    listed = {g["group"] for g in admin_one("kafka-python", broker, workdir, "list-3", {"op": "list"})}
    check(active not in listed and idle not in listed, "ListGroups after DeleteGroups still lists %s" % (
        listed & {active, idle}))
    d = admin_one("kafka-python", broker, workdir, "describe-deleted", {"op": "describe", "groups": [active]})
    check((d[active].get("state") or "").upper() == "DEAD" and not d[active].get("members"),
          "DescribeGroups of a deleted group: %s, expected Dead (as Kafka answers for unknown groups)" % d[active])
    got = admin_one("confluent", broker, workdir, "offsets-deleted", {"op": "offsets", "group": active})
    check(got == {}, "OffsetFetch of a deleted group: %s, expected none" % got)
    again = admin_one("confluent", broker, workdir, "delete-again", {"op": "delete", "groups": [active]})
    check(again == {active: "GROUP_ID_NOT_FOUND"}, "DeleteGroups of a deleted group: %s, expected "
          "GROUP_ID_NOT_FOUND (69)" % again)
    problems += ["%s: %s" % (m.name, e_) for m in members.all for e_ in m.errors()]
    fail_with(problems, members)


# ---------------------------------------------------------------- 7. every client: commit and resume

@pytest.mark.timeout(150)
@pytest.mark.parametrize("client", ["confluent-venv", "confluent-debian", "kafka-python-venv", "kafka-python-debian",
                                    "aiokafka", "sarama"])
def test_group_commit_and_resume(broker, workdir, members, client):
    """One member subscribes, consumes 30 records of a 3-partition topic, commits and leaves; 30
    more are produced; a new member of the same client and group reads exactly those 30 and the
    committed offsets end at the log end."""
    require_apis(broker, MEMBER_APIS)
    topic, group = rand("grp-resume"), rand("g-resume")
    create_topic(broker, topic, 3, workdir)
    first = produce_keys(broker, topic, 3, 0, 30, workdir, "produce-1")
    m1 = members.add(Member(client, broker, workdir, topic, group, "first"))
    wait_until(lambda: set(first) <= set(m1.records()), 60, "the first member to read 30", members)
    time.sleep(0.3 if client == "sarama" else 0)  # sarama commits every 100 ms (and on close)
    m1.stop()
    second = produce_keys(broker, topic, 3, 30, 30, workdir, "produce-2")
    m2 = members.add(Member(client, broker, workdir, topic, group, "second"))
    wait_until(lambda: set(second) <= set(m2.records()), 60, "the second member to read the 30 new", members)
    m2.stop()
    problems = consumed_check(first, [m1], "first member") + consumed_check(second, [m2], "second member")
    problems += ["%s: %s" % (m.name, e) for m in members.all for e in m.errors()]
    problems += check_client_versions(members.all)
    got = admin_one("confluent", broker, workdir, "offsets", {"op": "offsets", "group": group})
    want = {"%s:%d" % (topic, p): 20 for p in range(3)}
    if got != want:
        problems.append("committed offsets %s, expected %s" % (got, want))
    fail_with(problems, members)


# ---------------------------------------------------------------- 8. rebalance timing (a measurement)

def last_revoke(a, b, since):
    """When the later of the two old members ran its revoke callback after `since`: it has heard
    of the rebalance (from a heartbeat) and rejoins."""
    return max(e["t"] for m in (a, b) for e in m.events("revoked") if e["t"] >= since)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("client", ["confluent-venv", "kafka-python-venv"])
def test_rebalance_timing(broker, workdir, members, client, run_dir):
    """Not a pass/fail check on time: with the client's default heartbeat.interval.ms (3 s for
    both) and session timeout, a third member joins a stable 2-member group on a 6-partition
    topic, five times (leaving cleanly in between), each after a random 1-4 s pause. Measured:
    from the new member's subscribe to the last of the three members' assignment callbacks (the
    group Stable, everyone assigned), and from a leaving member's close to both remaining
    members reassigned. Both include the wait for the existing members' next heartbeat (0-3 s),
    which is what the classic protocol costs; so the time from the old members' last revoke
    callback (they have heard and rejoin) to everyone assigned is reported too. Printed (pytest -s) and written
    to rebalance-timing.json in the run directory (kept with INTEROP_KEEP=1)."""
    require_apis(broker, MEMBER_APIS)
    topic, group, parts = rand("grp-timing"), rand("g-timing"), 6
    create_topic(broker, topic, parts, workdir)
    kw = {"session_timeout_ms": None, "heartbeat_interval_ms": None}
    t = time.time()
    a = members.add(Member(client, broker, workdir, topic, group, "a", **kw))
    b = members.add(Member(client, broker, workdir, topic, group, "b", **kw))
    wait_settled([a, b], parts, t, members, what="two members")
    joins, leaves, rejoins, releaves = [], [], [], []
    rng = random.Random(group)
    for i in range(5):
        # The existing members learn of a rebalance from their next heartbeat: join at a random
        # phase of their 3 s heartbeat cycle, not in lockstep with it.
        time.sleep(rng.uniform(1.0, 4.0))
        t0 = time.time()
        c = members.add(Member(client, broker, workdir, topic, group, "c%d" % i, **kw))
        wait_settled([a, b, c], parts, t0, members, what="join #%d" % (i + 1))
        subscribed = c.events("subscribe")[0]["t"]
        done = max(m.assigned_since(t0)[-1]["t"] for m in (a, b, c))
        joins.append(round(done - subscribed, 3))
        rejoins.append(round(done - last_revoke(a, b, t0), 3))
        time.sleep(rng.uniform(1.0, 4.0))
        t1 = c.stop()
        wait_settled([a, b], parts, t1, members, what="leave #%d" % (i + 1))
        stopping = c.events("stopping")[0]["t"]
        done = max(m.assigned_since(t1)[-1]["t"] for m in (a, b))
        leaves.append(round(done - stopping, 3))
        releaves.append(round(done - last_revoke(a, b, t1), 3))
    a.stop()
    b.stop()
    problems = ["%s: %s" % (m.name, e) for m in members.all for e in m.errors()]
    result = {"client": client, "version": a.client_version(), "broker": broker.kind,
              "join_to_stable_s": joins, "join_median_s": median(joins),
              "leave_to_stable_s": leaves, "leave_median_s": median(leaves),
              "after_join_last_revoke_to_stable_s": rejoins, "after_join_revoke_median_s": median(rejoins),
              "after_leave_last_revoke_to_stable_s": releaves, "after_leave_revoke_median_s": median(releaves),
              "heartbeat_interval_ms": "client default (3000)",
              "group.initial.rebalance.delay.ms": GROUP_OVERRIDES["group.initial.rebalance.delay.ms"]}
    path = run_dir / "rebalance-timing.json"
    try:
        existing = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        existing = {}
    existing[client] = result
    path.write_text(json.dumps(existing, indent=1))
    (workdir / "rebalance-timing.json").write_text(json.dumps(result, indent=1))
    print("\nrebalance timing %s: join -> stable median %.2f s %s; leave -> stable median %.2f s %s; "
          "the old members' last revoke (they heard of the rebalance and rejoin) -> stable: after a join median "
          "%.2f s %s, after a leave median %.2f s %s" % (
              client, result["join_median_s"], joins, result["leave_median_s"], leaves,
              result["after_join_revoke_median_s"], rejoins, result["after_leave_revoke_median_s"], releaves))
    fail_with(problems, members)

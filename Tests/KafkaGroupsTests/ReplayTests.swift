import KafkaGroups
import KafkaProtocol
import KafkaTestKit
import Testing

/// Loading `__consumer_offsets` rebuilds what produced it.
@Suite struct ReplayTests {
    /// Rebuilds a coordinator from `log` as a restarted broker would.
    static func reload(_ log: [CoordinatorRecord], config: GroupCoordinatorConfig = .test) throws -> GroupCoordinator {
        var c = GroupCoordinator(config: config, seed: 99)
        for r in log { try c.replay(r) }
        return c
    }

    /// Differences between the live coordinator's durable state and the reloaded one, for groups that are
    /// Empty or Stable (a rebalancing group's records describe its previous generation).
    static func differences(live: GroupCoordinator, reloaded: GroupCoordinator) -> [String] {
        var out: [String] = []
        if Set(live.groups.keys) != Set(reloaded.groups.keys) {
            out.append("groups \(live.groups.keys.sorted()) vs \(reloaded.groups.keys.sorted())")
        }
        for (id, g) in live.groups where g.state == .empty || g.state == .stable {
            if g.persisted != reloaded.groups[id]?.persisted {
                out.append("group \(id): \(g.persisted) vs \(String(describing: reloaded.groups[id]?.persisted))")
            }
        }
        if live.offsets != reloaded.offsets { out.append("offsets \(live.offsets) vs \(reloaded.offsets)") }
        return out
    }

    static func isQuiescent(_ c: GroupCoordinator) -> Bool {
        c.groups.values.allSatisfy { $0.state == .empty || $0.state == .stable }
    }

    @Test func threeMemberGroupReloads() throws {
        var h = MembershipTests.threeMemberGroup()
        h.commit(["t1-0": 5, "t1-1": 6], member: "c2")
        var reloaded = try Self.reload(h.log)
        #expect(Self.differences(live: h.coordinator, reloaded: reloaded) == [])
        let g = try #require(reloaded.groups["g"])
        #expect(g.state == .stable && g.generationID == 1 && g.leaderID == h.id("c1"))
        #expect(g.members.map(\.supportedProtocols) == Array(repeating: [GroupProtocol(name: "range", metadata: subscription(["t1"]))], count: 3))

        // The reloaded group carries on: sessions start at load, and members heartbeat as before.
        let actions = reloaded.finishLoading(now: 50_000)
        #expect(actions.count == 3)
        #expect(reloaded.nextDeadline == 60_000)
        let hb = reloaded.heartbeat(HeartbeatRequest(groupID: "g", generationID: 1, memberID: h.id("c2")), now: 51_000)
        #expect(hb.response.errorCode == 0)
        // A stale member id is still unknown; a member that never heartbeats expires.
        _ = reloaded.timeout(now: 60_000)
        #expect(reloaded.groups["g"]?.state == .preparingRebalance)
        #expect(reloaded.groups["g"]?.memberCount == 1)
    }

    @Test func staticReplacementReloads() throws {
        var h = StaticMembershipTests.staticGroup()
        h.join("app", instance: "i2", version: 8)
        let reloaded = try Self.reload(h.log)
        #expect(Self.differences(live: h.coordinator, reloaded: reloaded) == [])
        #expect(reloaded.groups["g"]?.staticMembers["i2"] == h.id("i2'"))
    }

    @Test func unloadAnswersParkedRequests() {
        var h = MembershipTests.threeMemberGroup()
        h.join("c1", as: "c1")
        let actions = h.coordinator.unload(partition: h.group()!.partition)
        #expect(actions == [.respondJoin(groupID: "g", memberID: h.id("c1"), JoinGroupResponse(errorCode: ErrorCode.notCoordinator.rawValue, protocolName: nil, memberID: h.id("c1")))])
        #expect(h.coordinator.groups.isEmpty)
    }

    @Test func loadingOnePartitionStartsOnlyItsMembersSessions() throws {
        let h = MembershipTests.threeMemberGroup()
        var reloaded = try Self.reload(h.log)
        let mine = reloaded.partition(for: "g"), other = (mine + 1) % reloaded.config.offsetsTopicPartitions
        #expect(reloaded.finishLoading(partition: other, now: 50_000) == [], "another partition's load leaves g alone")
        #expect(reloaded.nextDeadline == nil)
        #expect(reloaded.finishLoading(partition: mine, now: 50_000).count == 3)
        #expect(reloaded.nextDeadline == 60_000)
    }

    @Test func unloadLeavesNothingOfThePartitionBehind() throws {
        // Offsets whose group record was tombstoned (Kafka writes offset tombstones first; a log may
        // hold only the group's) would otherwise survive an unload and reappear after the next load.
        var c = try Self.reload([
            .offsetCommit(group: "x", topic: "t", partition: 0, OffsetAndMetadata(offset: 3, commitTimestamp: 1)),
            .groupMetadata(group: "x", nil),
        ])
        #expect(c.groups["x"] == nil && c.offsets["x"] != nil)
        #expect(c.unload(partition: c.partition(for: "x")) == [])
        #expect(c.offsets.isEmpty && c.groups.isEmpty)
    }

    @Test func writeFailuresReachClientsAsKafkasCoordinatorRuntimeMapsThem() {
        let cases: [(ErrorCode, ErrorCode)] = [
            (.requestTimedOut, .coordinatorNotAvailable), (.notEnoughReplicas, .coordinatorNotAvailable),
            (.unknownTopicOrPartition, .coordinatorNotAvailable), (.notLeaderOrFollower, .notCoordinator),
            (.kafkaStorageError, .notCoordinator), (.messageTooLarge, .unknownServerError),
            (.recordListTooLarge, .unknownServerError), (.invalidFetchSize, .unknownServerError),
            (.invalidRecord, .invalidRecord),
        ]
        for (written, told) in cases {
            #expect(CoordinatorWriteError.clientError(for: written) == told, "\(written)")
        }
    }

    /// replay(records(ops)) == state(ops): random sequences of joins, syncs, heartbeats, leaves,
    /// commits, deletes and time, checked after every step for every group not mid-rebalance, and once
    /// more at the end, after everything has timed out.
    @Test(arguments: 1...48 as ClosedRange<UInt64>)
    func replayOfRecordsRebuildsTheState(seed: UInt64) throws {
        var sim = Simulation(seed: seed)
        var checks = 0
        // Replaying the log so far, one step at a time, is the same as reloading it from the start.
        var reloaded = GroupCoordinator(config: .test, seed: 99)
        var replayed = 0
        for step in 0..<400 {
            sim.step()
            for r in sim.h.log[replayed...] { try reloaded.replay(r) }
            replayed = sim.h.log.count
            let diff = Self.differences(live: sim.h.coordinator, reloaded: reloaded)
            #expect(diff == [], "seed \(seed) step \(step)")
            if !diff.isEmpty { return }
            checks += sim.h.coordinator.groups.values.count { $0.state == .stable }
        }
        sim.h.advance(10 * 24 * 3_600_000)
        #expect(Self.isQuiescent(sim.h.coordinator), "seed \(seed)")
        #expect(Self.differences(live: sim.h.coordinator, reloaded: try Self.reload(sim.h.log)) == [], "seed \(seed)")
        #expect(checks > 0, "seed \(seed): no group was ever Stable")
    }
}

/// Random, mostly well-formed traffic against one coordinator.
struct Simulation {
    var h = Harness()
    var rng: SplitMix64
    let groups = ["g0", "g1", "g2"]
    let topics = ["t0", "t1", "t2"]

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func pick<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[rng.below(xs.count)] }

    mutating func protocols() -> [(String, [String])] {
        let subscribed = topics.filter { _ in rng.bool() }
        switch rng.below(4) {
        case 0: return [("roundrobin", subscribed)]
        case 1: return [("range", subscribed), ("roundrobin", subscribed)]
        default: return [("range", subscribed)]
        }
    }

    /// A member (or pending member) id of `group`, by the harness's name for it.
    mutating func someMember(_ group: String) -> String? {
        guard let g = h.group(group) else { return nil }
        return pick(g.members.map { h.name($0.memberID) } + g.pendingJoinMembers.keys.sorted().map { h.name($0) })
    }

    mutating func step() {
        let group = pick(groups)!
        switch rng.below(32) {
        case 0...2:
            let version = Int16([0, 1, 3, 4, 5, 7, 8, 9][rng.below(8)])
            let instance = version >= 5 && rng.bool() ? "i\(rng.below(3))" : nil
            // A restarting static member usually comes back with the protocols it had.
            let previous = instance.flatMap { h.group(group)?.staticMembers[$0] }.flatMap { h.group(group)?.member($0) }
            let same = previous.map { p in p.supportedProtocols.map { ($0.name, Self.topics(of: $0.metadata)) } }
            h.join("c\(rng.below(6))", group: group, instance: instance, version: version,
                   protocols: same != nil && !rng.chance(4) ? same! : protocols(),
                   session: Int32(6_000 + rng.below(3) * 2_000), rebalance: Int32(5_000 + rng.below(3) * 5_000))
        case 3...9:
            // Mostly a member the current rebalance still waits for.
            let waitedFor = h.group(group).map { g in g.members.filter { g.state == .preparingRebalance && !$0.isAwaitingJoin } } ?? []
            guard let m = !waitedFor.isEmpty && !rng.chance(4) ? pick(waitedFor).map({ h.name($0.memberID) }) : someMember(group) else { return }
            let g = h.group(group)!
            let current = g.member(h.id(m))
            let same = current.map { c in c.supportedProtocols.map { ($0.name, Self.topics(of: $0.metadata)) } }
            h.join(String(m.prefix { $0 != "'" }), group: group, as: m, instance: current?.groupInstanceID,
                   protocols: rng.chance(4) || same == nil ? protocols() : same!)
        case 10...16:
            // Half the time the leader, whose SyncGroup completes a rebalance.
            guard let g = h.group(group),
                  let m = rng.bool() ? g.leaderID.map(h.name) ?? someMember(group) : someMember(group) else { return }
            var assign: [String: String] = [:]
            if g.isLeader(h.id(m)) { for other in g.members where !rng.chance(5) { assign[h.name(other.memberID)] = "a\(rng.below(9))" } }
            h.sync(m, group: group, generation: rng.chance(8) ? g.generationID - 1 : nil,
                   instance: g.member(h.id(m))?.groupInstanceID, assign: assign)
        case 17...19:
            guard let m = someMember(group) else { return }
            h.heartbeat(m, group: group, instance: h.group(group)?.member(h.id(m))?.groupInstanceID)
        case 20:
            guard let m = someMember(group) else { return }
            h.leave([m], group: group, version: Int16(rng.below(6)))
        case 21...22:
            var offsets: [String: Int64] = [:]
            for _ in 0...rng.below(3) { offsets["\(pick(topics)!)-\(rng.below(2))"] = Int64(rng.below(1000)) }
            if rng.bool(), let m = someMember(group) {
                h.commit(offsets, group: group, member: m, version: Int16(rng.below(10)), retentionMs: rng.chance(5) ? 60_000 : -1)
            } else {
                h.commit(offsets, group: group, version: Int16(rng.below(10)))
            }
        case 23:
            h.deleteOffsets(["\(pick(topics)!)-\(rng.below(2))"], group: group)
        case 24:
            guard rng.chance(3) else { return }
            let outcome = h.coordinator.deleteGroups(DeleteGroupsRequest(groupsNames: [group]))
            h.perform(outcome.actions)
        case 25:
            if rng.chance(4) { h.now += h.coordinator.config.offsetsRetentionMs / Int64(1 + rng.below(2)) }
            h.expireOffsets()
        default:
            h.advance(Int64(rng.below(8_000)))
        }
    }

    static func topics(of metadata: [UInt8]) -> [String] {
        var b = NIOCore.ByteBuffer(bytes: metadata)
        _ = b.readInteger(as: Int16.self)
        return (try? ConsumerProtocolSubscription.decode(from: &b, version: 0).topics) ?? []
    }
}

import NIOCore
import SeededRandom

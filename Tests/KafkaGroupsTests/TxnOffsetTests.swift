import KafkaGroups
import KafkaProtocol
import Testing

/// TxnOffsetCommit: offsets a transaction writes wait for its marker, OffsetFetch with require_stable
/// sees them as unstable, zombies are fenced by generation and member, and a reload of the log (records
/// in transactional batches, then markers) decides exactly as the live coordinator did.
@Suite struct TxnOffsetTests {
    /// What the shell wrote to `__consumer_offsets`, in log order.
    enum Logged {
        case record(CoordinatorRecord, producerID: Int64?)
        case marker(producerID: Int64, committed: Bool, partition: Int32)
    }

    /// A coordinator and its log; every change goes through both.
    struct Run {
        var coordinator = GroupCoordinator(config: GroupCoordinatorConfig(), seed: 1)
        var log: [Logged] = []
        var now: Int64 = 1_000

        @discardableResult
        mutating func txnCommit(_ offsets: [String: Int64], producer: Int64, epoch: Int16 = 0, group: String = "g",
                                member: String = "", generation: Int32 = -1, instance: String? = nil) -> [String: ErrorCode] {
            var byTopic: [String: [TxnOffsetCommitRequest.TxnOffsetCommitRequestTopic.TxnOffsetCommitRequestPartition]] = [:]
            for key in offsets.keys.sorted() {
                let (topic, partition) = Harness.split(key)
                byTopic[topic, default: []].append(.init(partitionIndex: partition, committedOffset: offsets[key]!))
            }
            let request = TxnOffsetCommitRequest(
                transactionalID: "tx\(producer)", groupID: group, producerID: producer, producerEpoch: epoch, generationID: generation,
                memberID: member, groupInstanceID: instance, topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!) })
            let outcome = coordinator.commitTransactionalOffsets(request, now: now)
            record(outcome.actions)
            var result: [String: ErrorCode] = [:]
            for t in outcome.response.topics { for p in t.partitions { result["\(t.name)-\(p.partitionIndex)"] = ErrorCode(rawValue: p.errorCode) } }
            return result
        }

        mutating func commit(_ offsets: [String: Int64], group: String = "g") {
            var byTopic: [String: [OffsetCommitRequest.OffsetCommitRequestTopic.OffsetCommitRequestPartition]] = [:]
            for key in offsets.keys.sorted() {
                let (topic, partition) = Harness.split(key)
                byTopic[topic, default: []].append(.init(partitionIndex: partition, committedOffset: offsets[key]!))
            }
            let request = OffsetCommitRequest(groupID: group, generationIDOrMemberEpoch: -1,
                                              topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!) })
            record(coordinator.commitOffsets(request, version: 8, now: now).actions)
        }

        /// The producer's marker reaches the group's partition.
        mutating func end(_ producer: Int64, committed: Bool, group: String = "g") {
            let partition = coordinator.partition(for: group)
            log.append(.marker(producerID: producer, committed: committed, partition: partition))
            coordinator.replayEndTransaction(producerID: producer, committed: committed, partition: partition)
        }

        private mutating func record(_ actions: [GroupAction]) {
            for action in actions {
                switch action {
                case let .append(_, records): log += records.map { .record($0, producerID: nil) }
                case let .appendTransactional(_, producer, _, records): log += records.map { .record($0, producerID: producer) }
                default: break
                }
            }
        }

        /// Committed offsets ("t-0"), -1 where none; UNSTABLE where a transaction holds one and `stable`.
        func fetch(_ partitions: [String], group: String = "g", requireStable: Bool = false) -> [String: String] {
            var byTopic: [String: [Int32]] = [:]
            for key in partitions { let (t, p) = Harness.split(key); byTopic[t, default: []].append(p) }
            let r = coordinator.fetchOffsets(.init(groupID: group, topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!) }),
                                             requireStable: requireStable)
            var out: [String: String] = [:]
            for t in r.topics {
                for p in t.partitions {
                    out["\(t.name)-\(p.partitionIndex)"] = p.errorCode == 0 ? "\(p.committedOffset)" : ErrorCode(rawValue: p.errorCode).name!
                }
            }
            return out
        }

        /// A coordinator that loaded this log.
        func reloaded() throws -> GroupCoordinator {
            var c = GroupCoordinator(config: GroupCoordinatorConfig(), seed: 2)
            for item in log {
                switch item {
                case let .record(r, producer?): try c.replay(r, producerID: producer)
                case let .record(r, nil): try c.replay(r)
                case let .marker(producer, committed, partition): c.replayEndTransaction(producerID: producer, committed: committed, partition: partition)
                }
            }
            return c
        }
    }

    @Test func offsetsBecomeVisibleWhenTheTransactionCommitsAndVanishWhenItAborts() throws {
        var run = Run()
        run.commit(["t-0": 5])
        #expect(run.txnCommit(["t-0": 10, "t-1": 20], producer: 7) == ["t-0": .noError, "t-1": .noError])
        #expect(run.fetch(["t-0", "t-1"]) == ["t-0": "5", "t-1": "-1"], "not before the marker")
        #expect(run.fetch(["t-0", "t-1", "t-2"], requireStable: true) == ["t-0": "UNSTABLE_OFFSET_COMMIT", "t-1": "UNSTABLE_OFFSET_COMMIT", "t-2": "-1"])
        #expect(try run.reloaded().transactionalOffsets == run.coordinator.transactionalOffsets)
        run.end(7, committed: true)
        #expect(run.fetch(["t-0", "t-1"], requireStable: true) == ["t-0": "10", "t-1": "20"])
        #expect(run.coordinator.transactionalOffsets.isEmpty)

        run.txnCommit(["t-0": 30], producer: 7, epoch: 1)
        run.end(7, committed: false)
        #expect(run.fetch(["t-0"], requireStable: true) == ["t-0": "10"], "an aborted transaction's offsets never show")
        let reloaded = try run.reloaded()
        #expect(reloaded.offsets == run.coordinator.offsets && reloaded.transactionalOffsets.isEmpty)
    }

    /// Kafka keeps the offset written last: a regular commit after a transaction's offset wins even if
    /// the transaction commits later; of two transactions, the one written later wins whichever
    /// commits first. A reload decides the same.
    @Test func theOffsetWrittenLastWinsWhateverTheOrderOfMarkers() throws {
        var run = Run()
        run.txnCommit(["t-0": 10], producer: 1)
        run.commit(["t-0": 11])
        run.end(1, committed: true)
        #expect(run.fetch(["t-0"]) == ["t-0": "11"])

        run.txnCommit(["t-1": 100], producer: 2)
        run.txnCommit(["t-1": 200], producer: 3)
        run.end(3, committed: true)
        #expect(run.fetch(["t-1"], requireStable: true) == ["t-1": "UNSTABLE_OFFSET_COMMIT"], "producer 2's transaction is still open")
        run.end(2, committed: true)
        #expect(run.fetch(["t-1"], requireStable: true) == ["t-1": "200"])

        run.txnCommit(["t-2": 1], producer: 4)
        run.txnCommit(["t-2": 2], producer: 5)
        run.end(4, committed: true)
        run.end(5, committed: true)
        #expect(run.fetch(["t-2"]) == ["t-2": "2"])
        let reloaded = try run.reloaded()
        #expect(reloaded.offsets == run.coordinator.offsets && reloaded.transactionalOffsets.isEmpty)
    }

    /// A marker ends a producer's offsets only in the `__consumer_offsets` partition it was written to.
    @Test func aMarkerEndsOnlyTheGroupsOfItsPartition() throws {
        var run = Run()
        let (a, b) = ("g", (0..<100).map { "other\($0)" }.first { run.coordinator.partition(for: $0) != run.coordinator.partition(for: "g") }!)
        run.txnCommit(["t-0": 1], producer: 9, group: a)
        run.txnCommit(["t-0": 2], producer: 9, group: b)
        run.end(9, committed: true, group: a)
        #expect(run.fetch(["t-0"], group: a) == ["t-0": "1"])
        #expect(run.fetch(["t-0"], group: b, requireStable: true) == ["t-0": "UNSTABLE_OFFSET_COMMIT"])
        run.end(9, committed: true, group: b)
        #expect(run.fetch(["t-0"], group: b) == ["t-0": "2"])
    }

    /// KIP-447: a transactional producer commits for a group member of the current generation; a
    /// zombie from an older generation, an unknown member or a generation for an unknown group is
    /// refused, and nothing is written. A commit without member or generation is accepted in any state.
    @Test func zombieMembersAreFencedByGenerationAndMemberID() {
        let h = MembershipTests.threeMemberGroup()
        let c1 = h.id("c1")
        var run = Run()
        run.coordinator = h.coordinator
        #expect(run.txnCommit(["t1-0": 1], producer: 1, member: c1, generation: 1) == ["t1-0": .noError])
        #expect(run.txnCommit(["t1-0": 2], producer: 1, member: c1, generation: 0) == ["t1-0": .illegalGeneration])
        #expect(run.txnCommit(["t1-0": 2], producer: 1, member: "nobody", generation: 1) == ["t1-0": .unknownMemberID])
        #expect(run.txnCommit(["t1-0": 3], producer: 1) == ["t1-0": .noError], "no member: accepted though the group is Stable")
        #expect(run.txnCommit(["t1-0": 4], producer: 1, group: "unknown", member: "m", generation: 2) == ["t1-0": .illegalGeneration])
        #expect(run.coordinator.groups["unknown"] == nil)
        #expect(run.txnCommit(["t1-0": 4], producer: 1, group: "simple") == ["t1-0": .noError])
        #expect(run.coordinator.groups["simple"]?.state == .empty, "a simple group, as for a regular commit")
        #expect(run.log.count == 3, "only the accepted commits were written")
    }

    /// Unloading a partition forgets its pending offsets; its reload brings them back from the log.
    @Test func unloadForgetsPendingOffsetsAndAReloadRestoresThem() throws {
        var run = Run()
        run.txnCommit(["t-0": 10], producer: 3)
        _ = run.coordinator.unload(partition: run.coordinator.partition(for: "g"))
        #expect(run.coordinator.transactionalOffsets.isEmpty)
        var reloaded = try run.reloaded()
        #expect(reloaded.transactionalOffsets.hasPending(group: "g", TopicPartition("t", 0)))
        reloaded.replayEndTransaction(producerID: 3, committed: true, partition: reloaded.partition(for: "g"))
        #expect(reloaded.offsets["g"]?.offset(topic: "t", partition: 0)?.offset == 10)
    }
}

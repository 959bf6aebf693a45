import KafkaGroups
import KafkaProtocol
import Testing

/// OffsetCommit, OffsetFetch, OffsetDelete and retention.
@Suite struct OffsetTests {
    /// Who may commit: members of the current generation; simple commits only to an Empty group.
    @Test func commitValidation() {
        var h = MembershipTests.threeMemberGroup()
        h.clearTranscript()
        h.commit(["t1-0": 10], member: "c1")
        h.commit(["t1-1": 20], member: "c2", generation: 0)
        h.commit(["t1-1": 20], member: "nobody", generation: 1)
        h.commit(["t1-1": 20])
        h.commit(["t1-1": 20], group: "fresh", member: "c2", generation: 3, version: 8)
        h.commit(["t1-1": 20], group: "fresh", member: "c2", generation: 3, version: 9)
        h.commit(["t1-1": 20], member: "c2", metadata: String(repeating: "m", count: 4097))
        h.join("c1", as: "c1")
        h.commit(["t1-0": 11], member: "c1")
        h.join("c2", as: "c2")
        h.leave(["c3"])
        h.commit(["t1-0": 12], member: "c1")
        #expect(h.transcript == """
            t=6000 commit c1 gen=1 t1-0=10
              append p3: offset g t1-0=10
              reply: t1-0=NONE
            t=6000 commit c2 gen=0 t1-1=20
              reply: t1-1=ILLEGAL_GENERATION
            t=6000 commit nobody gen=1 t1-1=20
              reply: t1-1=UNKNOWN_MEMBER_ID
            t=6000 commit simple gen=-1 t1-1=20
              reply: t1-1=UNKNOWN_MEMBER_ID
            t=6000 commit c2 group=fresh gen=3 t1-1=20
              reply: t1-1=ILLEGAL_GENERATION
            t=6000 commit c2 group=fresh gen=3 t1-1=20
              reply: t1-1=GROUP_ID_NOT_FOUND
            t=6000 commit c2 gen=1 t1-1=20
              reply: t1-1=OFFSET_METADATA_TOO_LARGE
            t=6000 join c1 as c1 v9 range
              timer join g at 36000
              g: PreparingRebalance gen=1 members=[c1,c2,c3]
              reply: parked as c1
            t=6000 commit c1 gen=1 t1-0=11
              append p3: offset g t1-0=11
              reply: t1-0=NONE
            t=6000 join c2 as c2 v9 range
              reply: parked as c2
            t=6000 leave c3 v5
              -> c1 join: gen=2 member=c1 leader=c1 protocol=range members=[c1,c2]
              -> c2 join: gen=2 member=c2 leader=c1 protocol=range
              timer sync g at 36000
              g: CompletingRebalance gen=2 members=[c1,c2]
              reply: NONE c3=NONE
            t=6000 commit c1 gen=2 t1-0=12
              reply: t1-0=REBALANCE_IN_PROGRESS
            """)
        #expect(h.fetch(["t1-0", "t1-1", "t2-0"]) == ["t1-0": 11, "t1-1": -1, "t2-0": -1])
    }

    /// A simple consumer (generation -1, no member) may commit to an unknown group, which creates an
    /// Empty group without a protocol type.
    @Test func simpleCommitCreatesSimpleGroup() {
        var h = Harness()
        h.commit(["t1-0": 5, "t2-3": 7], group: "simple")
        let g = h.group("simple")
        #expect(g?.state == .empty)
        #expect(g?.protocolType == nil)
        #expect(h.fetch(["t1-0", "t2-3"], group: "simple") == ["t1-0": 5, "t2-3": 7])
        #expect(h.fetch(["t1-0"], group: "unknown") == ["t1-0": -1])
        let all = h.coordinator.fetchOffsets(.init(groupID: "simple", topics: nil))
        #expect(all.topics.map(\.name) == ["t1", "t2"])
        #expect(h.coordinator.listGroups(ListGroupsRequest(), version: 4).groups.map(\.protocolType) == [""])
    }

    /// The stored value: leader epoch, metadata, the broker's time unless a v1 client sent its own, and an
    /// expire timestamp only for an explicit retention (then written as OffsetCommitValue v1).
    @Test func commitStoresKafkasValue() throws {
        var h = Harness()
        h.now = 1_000
        h.commit(["t-0": 1], metadata: "hello", leaderEpoch: 7)
        h.commit(["t-1": 2], version: 1, commitTimestamp: 400)
        h.commit(["t-2": 3], version: 2, retentionMs: 60_000)
        let store = try #require(h.coordinator.offsets["g"])
        #expect(store.offset(topic: "t", partition: 0) == OffsetAndMetadata(offset: 1, leaderEpoch: 7, metadata: "hello", commitTimestamp: 1_000))
        #expect(store.offset(topic: "t", partition: 1) == OffsetAndMetadata(offset: 2, commitTimestamp: 400))
        #expect(store.offset(topic: "t", partition: 2) == OffsetAndMetadata(offset: 3, commitTimestamp: 1_000, expireTimestamp: 61_000))
        #expect(h.log.map { $0.value?.prefix(2) } == [[0, 3], [0, 3], [0, 1]])
        let fetched = h.coordinator.fetchOffsets(.init(groupID: "g", topics: [.init(name: "t", partitionIndexes: [0])]))
        #expect(fetched.topics[0].partitions[0] == .init(partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: 7, metadata: "hello"))
    }

    /// OffsetFetch below v8 answers one group in the old shape; from v8 it answers many.
    @Test func fetchVersions() {
        var h = Harness()
        h.commit(["t-0": 1], group: "a")
        h.commit(["t-0": 2], group: "b")
        let v7 = h.coordinator.fetchOffsets(OffsetFetchRequest(groupID: "a", topics: nil), version: 7)
        #expect(v7.topics.map { $0.partitions.map(\.committedOffset) } == [[1]])
        let v8 = h.coordinator.fetchOffsets(OffsetFetchRequest(groups: [.init(groupID: "a", topics: nil), .init(groupID: "b", topics: nil)]), version: 8)
        #expect(v8.groups.map { $0.topics.flatMap { $0.partitions.map(\.committedOffset) } } == [[1], [2]])
    }

    /// OffsetDelete: refused for subscribed topics of a Stable consumer group, allowed for the others;
    /// a non-consumer group with members refuses entirely.
    @Test func deleteRules() {
        var h = MembershipTests.threeMemberGroup()
        h.commit(["t1-0": 1, "t2-0": 2], member: "c1")
        h.clearTranscript()
        h.deleteOffsets(["t1-0", "t2-0", "t3-0"])
        h.deleteOffsets(["t1-0"], group: "unknown")
        #expect(h.fetch(["t1-0", "t2-0"]) == ["t1-0": 1, "t2-0": -1])

        h.join("x1", group: "connect", version: 3, protocolType: "connect")
        h.deleteOffsets(["t1-0"], group: "connect")
        #expect(h.transcript == """
            t=6000 delete offsets t1-0 t2-0 t3-0
              append p3: offset g t2-0 deleted
              reply: NONE t1-0=GROUP_SUBSCRIBED_TO_TOPIC t2-0=NONE t3-0=NONE
            t=6000 delete offsets t1-0 group=unknown
              reply: GROUP_ID_NOT_FOUND
            t=6000 join x1 group=connect v3 range
              timer join connect at 9000
              append p30: group connect gen=0 type=connect protocol=null leader=null members=[]
              connect: PreparingRebalance gen=0 members=[x1]
              reply: parked as x1
            t=6000 delete offsets t1-0 group=connect
              reply: NON_EMPTY_GROUP
            """)
    }

    /// Kafka 2.1+ retention: offsets of an Empty group expire `offsets.retention.minutes` after it
    /// became Empty, whatever their commit time; then the group itself goes.
    @Test func offsetsExpireAfterGroupBecomesEmpty() {
        var h = MembershipTests.threeMemberGroup()
        h.commit(["t1-0": 1, "t1-1": 2], member: "c1")
        for _ in 0..<20 {
            h.advance(5_000)
            for c in ["c1", "c2", "c3"] { h.heartbeat(c) }
        }
        h.leave(["c1", "c2", "c3"])
        let emptySince = h.now
        #expect(emptySince == 106_000)
        #expect(h.group()?.state == .empty)
        h.clearTranscript()
        h.now = emptySince + h.coordinator.config.offsetsRetentionMs - 1
        h.expireOffsets()
        h.now += 1
        h.expireOffsets()
        #expect(h.transcript == """
            t=604905999 expire offsets
            t=604906000 expire offsets
              append p3: offset g t1-0 deleted
              append p3: offset g t1-1 deleted
              append p3: group g deleted
              g: deleted
            """)
        #expect(h.group() == nil)
        #expect(h.coordinator.offsets["g"] == nil)
    }

    /// In a Stable consumer group, offsets of topics nobody subscribes to expire by commit time; the
    /// subscribed topic's never do. A simple group's expire by commit time; an explicit expire time wins.
    @Test func expiryOutsideEmptyGroups() {
        var h = MembershipTests.threeMemberGroup()
        let retention = h.coordinator.config.offsetsRetentionMs
        h.commit(["t1-0": 1, "t9-0": 2], member: "c1")
        h.commit(["t-0": 3], group: "simple")
        h.commit(["t-1": 4], group: "simple", version: 3, retentionMs: 1_000)
        h.clearTranscript()
        h.now += 1_000
        h.expireOffsets()
        h.now += retention  // timers do not run: the group stays Stable
        h.expireOffsets()
        #expect(h.transcript == """
            t=7000 expire offsets
              append p26: offset simple t-1 deleted
            t=604807000 expire offsets
              append p3: offset g t9-0 deleted
              append p26: offset simple t-0 deleted
              append p26: group simple deleted
              simple: deleted
            """)
        #expect(h.fetch(["t1-0", "t9-0"]) == ["t1-0": 1, "t9-0": -1])
        #expect(h.group("simple") == nil)
    }

    /// Deleting a topic's partitions removes every group's offsets for them.
    @Test func deletedPartitionsLoseTheirOffsets() {
        var h = Harness()
        h.commit(["t1-0": 1, "t1-1": 2, "t2-0": 3], group: "a")
        h.commit(["t1-0": 4], group: "b")
        h.clearTranscript()
        h.perform(h.coordinator.onPartitionsDeleted(["t1": [0, 1]]))
        #expect(h.transcript == """
              append p47: offset a t1-0 deleted
              append p47: offset a t1-1 deleted
              append p48: offset b t1-0 deleted
            """)
        #expect(h.fetch(["t1-0", "t1-1", "t2-0"], group: "a") == ["t1-0": -1, "t1-1": -1, "t2-0": 3])
        #expect(h.coordinator.offsets["b"] == nil)
        #expect(h.group("b")?.state == .empty)
    }
}

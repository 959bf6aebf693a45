@testable import KafkaReplication
import Testing

/// KIP-392's rack-aware choice of the replica a consumer reads from (Kafka's `RackAwareReplicaSelector`
/// and the candidate filter of `ReplicaManager.findPreferredReadReplica`).
@Suite struct PreferredReadReplicaTests {
    /// Brokers 1, 2, 3 in racks a, b, c.
    static let racks: [Int32: String] = [1: "a", 2: "b", 3: "c"]

    /// `makeLeader` (broker 1, log end offset 10, ISR [1, 2, 3]) with both followers caught up at 10.
    static func caughtUpLeader() throws -> PartitionLeaderState {
        var leader = makeLeader()
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = try leader.fetch(3, at: 10, now: 1)
        return leader
    }

    @Test func aClientInAFollowersRackIsSentThere() throws {
        let leader = try Self.caughtUpLeader()
        #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: 4, racks: Self.racks, now: 2) == 2)
        #expect(leader.preferredReadReplica(clientRack: "c", fetchOffset: 10, racks: Self.racks, now: 2) == 3)
    }

    @Test func theLeaderServesItsOwnRackClientsWithoutARackAndUnknownRacks() throws {
        let leader = try Self.caughtUpLeader()
        #expect(leader.preferredReadReplica(clientRack: "a", fetchOffset: 4, racks: Self.racks, now: 2) == nil)
        #expect(leader.preferredReadReplica(clientRack: "", fetchOffset: 4, racks: Self.racks, now: 2) == nil)
        #expect(leader.preferredReadReplica(clientRack: "z", fetchOffset: 4, racks: Self.racks, now: 2) == nil)
        // The leader wins in its rack even when a follower shares it.
        #expect(leader.preferredReadReplica(clientRack: "a", fetchOffset: 4, racks: [1: "a", 2: "a", 3: "a"], now: 2) == nil)
    }

    @Test func aFollowerOutOfTheIsrIsNeverChosen() throws {
        var leader = makeLeader(isr: [1, 2])
        _ = try leader.fetch(2, at: 10, now: 1)
        _ = try leader.fetch(3, at: 10, now: 1)
        #expect(leader.isr == [1, 2], "3's expansion is only proposed")
        #expect(leader.preferredReadReplica(clientRack: "c", fetchOffset: 4, racks: Self.racks, now: 2) == nil)
        #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: 4, racks: Self.racks, now: 2) == 2)
    }

    @Test func theFollowersLogMustHoldTheFetchOffset() throws {
        var leader = makeLeader(logEndOffset: 30)
        _ = try leader.followerFetched(FollowerFetch(replicaId: 2, brokerEpoch: 102, fetchOffset: 20, logStartOffset: 5,
                                                     leaderLogEndOffset: 30, brokerStatus: .alive(brokerEpoch: 102)), now: 1)
        for (offset, expected) in [(Int64(4), Int32?.none), (5, 2), (20, 2), (21, nil), (30, nil)] {
            #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: offset, racks: Self.racks, now: 2) == expected,
                    "fetch offset \(offset)")
        }
    }

    @Test func aFollowerThatHasNotFetchedInThisLeadershipIsNotAsked() {
        // In the ISR, but its log end offset is unknown (-1) until its first fetch.
        let leader = makeLeader()
        #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: 0, racks: Self.racks, now: 2) == nil)
    }

    @Test func aBrokerWithoutARackOrEndpointIsNotInAnyRack() throws {
        let leader = try Self.caughtUpLeader()
        #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: 4, racks: [1: "a", 3: "c"], now: 2) == nil)
        #expect(leader.readReplicaCandidates(fetchOffset: 4, racks: [1: "a", 3: "c"], now: 2).map(\.rack) == [nil, "c"])
    }

    @Test func theMostCaughtUpFollowerInTheRackWins() throws {
        var leader = makeLeader(logEndOffset: 30)
        _ = try leader.fetch(2, at: 30, now: 5)
        _ = try leader.fetch(3, at: 20, now: 8)
        let sameRack: [Int32: String] = [1: "a", 2: "b", 3: "b"]
        #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: 10, racks: sameRack, now: 10) == 2, "larger log end offset")
        // Above 3's log end offset only 2 qualifies; below both, 3 catching up to 30 too makes it a tie on offsets.
        _ = try leader.fetch(3, at: 30, now: 9)
        let candidates = leader.readReplicaCandidates(fetchOffset: 10, racks: sameRack, now: 10)
        #expect(candidates.map(\.timeSinceLastCaughtUpMs) == [5, 1])
        #expect(leader.preferredReadReplica(clientRack: "b", fetchOffset: 10, racks: sameRack, now: 10) == 3, "caught up more recently")
    }

    @Test func tiesGoToTheLargerBrokerID() {
        let leader = ReadReplicaCandidate(brokerId: 1, rack: "a", logEndOffset: 10, timeSinceLastCaughtUpMs: 0)
        let followers = [2, 4, 3].map { ReadReplicaCandidate(brokerId: $0, rack: "b", logEndOffset: 10, timeSinceLastCaughtUpMs: 7) }
        #expect(RackAwareReplicaSelector.select(clientRack: "b", leader: leader, followers: followers).brokerId == 4)
        #expect(RackAwareReplicaSelector.select(clientRack: "a", leader: leader, followers: followers).brokerId == 1)
        #expect(RackAwareReplicaSelector.select(clientRack: "b", leader: leader, followers: []).brokerId == 1)
    }
}

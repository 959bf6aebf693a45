import KafkaRaft
import Testing

/// Deterministic scenarios on the simulated cluster without random faults.
@Suite struct RaftClusterTests {
    func leader(of cluster: SimCluster) -> (id: Int32, epoch: Int32)? {
        for id in cluster.voters.sorted {
            if let core = cluster.nodes[id]?.core, core.state.isLeader { return (id, core.epoch) }
        }
        return nil
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func coldStartElectsALeaderAndCommits(seed: UInt64) {
        var cluster = SimCluster(seed: seed, voterIDs: [1, 2, 3], observerIDs: [100])
        // Election timeouts are below 2 s, the pre-vote and vote rounds take a few network delays.
        cluster.run(until: 2_200)
        let elected = try! #require(leader(of: cluster))
        let payloads = cluster.clientAppend(count: 3)
        #expect(payloads.count == 3)
        // Followers learn the new high watermark at their next fetch (long poll of 500 ms at most).
        cluster.run(until: cluster.now + 700)
        #expect(cluster.failure == nil)
        #expect(Array(cluster.committed.suffix(3).map(\.payload)) == payloads)
        for id: Int32 in [1, 2, 3, 100] {
            #expect(cluster.nodes[id]?.core?.highWatermark == Int64(cluster.committed.count), "replica \(id)")
        }
        #expect(leader(of: cluster)?.id == elected.id)
    }

    @Test func partitionedFollowerRejoiningDoesNotDisruptTheLeader() {
        var cluster = SimCluster(seed: 11, voterIDs: [1, 2, 3])
        cluster.run(until: 3_000)
        let before = try! #require(leader(of: cluster))
        let isolated = cluster.voters.sorted.first { $0 != before.id }!
        cluster.partition([isolated])
        for step in 1...20 {
            cluster.run(until: 3_000 + Int64(step) * 500)
            cluster.clientAppend()
        }
        // The isolated replica timed out many times, but pre-votes kept its epoch.
        #expect(cluster.nodes[isolated]?.core?.epoch == before.epoch)
        cluster.heal()
        cluster.run(until: cluster.now + 3_000)
        #expect(cluster.failure == nil)
        let after = try! #require(leader(of: cluster))
        #expect(after.id == before.id)
        #expect(after.epoch == before.epoch)
        #expect(cluster.nodes[isolated]?.core?.leaderID == before.id)
        #expect(cluster.nodes[isolated]?.core?.highWatermark == Int64(cluster.committed.count))
    }

    @Test func leaderCutOffFromTheMajorityResignsAndANewOneTakesOver() {
        var cluster = SimCluster(seed: 5, voterIDs: [1, 2, 3])
        cluster.run(until: 3_000)
        let before = try! #require(leader(of: cluster))
        cluster.partition([before.id])
        cluster.run(until: cluster.now + 8_000)
        #expect(cluster.failure == nil)
        #expect(cluster.nodes[before.id]?.core?.state.isLeader == false, "check-quorum made it resign")
        let after = try! #require(leader(of: cluster))
        #expect(after.id != before.id)
        #expect(after.epoch > before.epoch)
        cluster.heal()
        cluster.clientAppend()
        cluster.run(until: cluster.now + 3_000)
        #expect(cluster.failure == nil)
        #expect(cluster.nodes[before.id]?.core?.leaderID == after.id)
    }

    @Test func crashedReplicasLoseOnlyUnflushedEntries() {
        var cluster = SimCluster(seed: 3, voterIDs: [1, 2, 3])
        cluster.run(until: 3_000)
        for _ in 0..<10 {
            cluster.clientAppend(count: 2)
            cluster.run(until: cluster.now + 100)
        }
        let committed = cluster.committed
        for id in cluster.voters.sorted { cluster.crash(id) }
        for id in cluster.voters.sorted { cluster.start(id) }
        cluster.run(until: cluster.now + 5_000)
        cluster.clientAppend()
        cluster.run(until: cluster.now + 2_000)
        #expect(cluster.failure == nil)
        #expect(Array(cluster.committed.prefix(committed.count)) == committed)
        #expect(cluster.committed.count > committed.count)
    }
}

/// KIP-630 on the simulated cluster: replicas that lost their disk or fell behind the leader's log start
/// come back through FetchSnapshot and Fetch.
@Suite struct RaftSnapshotClusterTests {
    func leader(of cluster: SimCluster) -> Int32? {
        cluster.voters.sorted.first { cluster.nodes[$0]?.core?.state.isLeader == true }
    }

    func commit(_ cluster: inout SimCluster, rounds: Int) {
        for _ in 0..<rounds {
            cluster.clientAppend(count: 3)
            cluster.run(until: cluster.now + 100)
        }
    }

    @Test func wipedVoterRejoinsThroughTheLeaderSnapshot() {
        var config = QuorumConfig()
        config.fetchSnapshotMaxBytes = 32
        var cluster = SimCluster(seed: 21, voterIDs: [1, 2, 3], observerIDs: [100], config: config)
        cluster.run(until: 3_000)
        let leaderID = try! #require(leader(of: cluster))
        commit(&cluster, rounds: 10)
        cluster.takeSnapshot(leaderID)
        let snapshotID = try! #require(cluster.nodes[leaderID]?.core?.log.latestSnapshotID)
        #expect(cluster.nodes[leaderID]?.core?.log.logStartOffset == snapshotID.offset)
        cluster.run(until: cluster.now + 2_000)
        let victim = cluster.voters.sorted.first { $0 != leaderID }!
        cluster.wipe(victim)
        cluster.start(victim)
        commit(&cluster, rounds: 5)
        cluster.run(until: cluster.now + 3_000)
        #expect(cluster.failure == nil)
        let node = try! #require(cluster.nodes[victim])
        #expect(node.snapshotsInstalled == 1)
        #expect(node.core?.log.logStartOffset == snapshotID.offset)
        #expect(node.applied == cluster.committed, "snapshot state plus the entries after it")
        #expect(node.core?.leaderID == leaderID)
        #expect(cluster.nodes[100]?.applied == cluster.committed)
    }

    @Test func laggingFollowerCatchesUpFromASnapshotOfEveryReplica() {
        var cluster = SimCluster(seed: 8, voterIDs: [1, 2, 3])
        cluster.run(until: 3_000)
        let leaderID = try! #require(leader(of: cluster))
        let lagging = cluster.voters.sorted.first { $0 != leaderID }!
        cluster.partition([lagging])
        commit(&cluster, rounds: 10)
        // Every running replica snapshots; the leader's log now starts beyond the lagging replica's end.
        for id in cluster.nodeIDs where id != lagging { cluster.takeSnapshot(id) }
        let start = try! #require(cluster.nodes[leaderID]?.core?.log.logStartOffset)
        #expect(start > (cluster.nodes[lagging]?.core?.log.endOffset.offset ?? .max))
        cluster.heal()
        cluster.run(until: cluster.now + 3_000)
        #expect(cluster.failure == nil)
        #expect(cluster.nodes[lagging]?.snapshotsInstalled == 1)
        #expect(cluster.nodes[lagging]?.applied == cluster.committed)
        #expect(cluster.nodes[leaderID]?.core?.leaderID == leaderID, "the partition did not cost the leadership")
    }
}

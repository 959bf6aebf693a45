import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One seed's run with `controller`; on a violation, the controller, the seed, the violation and the tail
/// of the replayed event trace.
func simulate(seed: UInt64, controller: SimControllerKind = .modeled) -> (failure: String?, stats: SimCluster.Stats) {
    var config = SimConfig()
    config.controller = controller
    var cluster = SimCluster(seed: seed, config: config)
    guard let failure = cluster.run() else { return (nil, cluster.stats) }
    var traced = SimCluster(seed: seed, config: config, tracing: true)
    _ = traced.run()
    let tail = traced.trace.lines.suffix(150).joined(separator: "\n")
    return ("\(controller), seed \(seed): \(failure)\n--- trace (last 150 events) ---\n\(tail)", cluster.stats)
}

/// Seeded chaos runs of the replicated partition (see `SimCluster`), each against the modeled controller
/// and against the real one (`KafkaControllerModel`). Pinned seeds run first; then `REPLICATION_SIM_SEEDS`
/// seeds per controller (default 2000) from `REPLICATION_SIM_FIRST_SEED` (default 1). Every failure names
/// its controller and seed and prints its trace.
@Suite(.serialized) struct ReplicationSimulationTests {
    /// Seeds that failed with a bug, kept as regression runs. Each was re-checked to fail with its bug
    /// put back (a seed names a trajectory of the simulation as written: after changing the fault script
    /// or the timings, re-pick them). They run against both controllers, whose trajectories differ.
    /// The fault script changed with the eligible leader replicas (a crash may lose records while an ELR
    /// member holds them; a kill that kept the log may register as unclean), so these seeds no longer
    /// replay the trajectories they were picked for; they stay as further seeds.
    static let pinnedSeeds: [UInt64] = [
        // The follower's truncation left a leader epoch entry starting at its log end offset (a former
        // leader's, for an epoch with no records): it re-sent that epoch, diverged and truncated forever.
        2606, 4371,
        // A broker back from an unclean shutdown stayed the ISR's last member and was elected without the
        // acknowledged records it lost (the modeled controller must drop it, as KIP-966 does).
        355, 616,
        // The high watermark ignoring the ISR's log end offsets: acknowledged records lost on failover.
        24, 39,
    ]

    /// Seeds pinned for one controller only.
    static let pinnedSeedsByController: [SimControllerKind: [UInt64]] = [
        // A broker paused before it applied the image making it leader took the leadership up after later
        // leaders had acknowledged records, and the check wanted those in its older epoch (a false alarm:
        // only leaders of a record's epoch or a later one must hold it).
        .real: [3521],
    ]

    static var seedCount: UInt64 {
        if let text = getenv("REPLICATION_SIM_SEEDS"), let count = UInt64(String(cString: text)) { return count }
        return 2000
    }

    static var firstSeed: UInt64 {
        if let text = getenv("REPLICATION_SIM_FIRST_SEED"), let seed = UInt64(String(cString: text)) { return seed }
        return 1
    }

    @Test(arguments: SimControllerKind.allCases)
    func pinnedSeeds(_ controller: SimControllerKind) {
        for seed in Self.pinnedSeeds + (Self.pinnedSeedsByController[controller] ?? []) {
            let outcome = simulate(seed: seed, controller: controller)
            #expect(outcome.failure == nil, Comment(rawValue: outcome.failure ?? ""))
        }
    }

    @Test(arguments: SimControllerKind.allCases)
    func manySeeds(_ controller: SimControllerKind) {
        let clock = ContinuousClock()
        var failures: [(seed: UInt64, text: String)] = []
        var stopped: [UInt64] = []
        var totals = SimCluster.Stats()
        let elapsed = clock.measure {
            for seed in Self.firstSeed..<Self.firstSeed + Self.seedCount {
                let outcome = simulate(seed: seed, controller: controller)
                if let failure = outcome.failure { failures.append((seed, failure)) }
                if outcome.stats.lossyUncleanElections > 0 { stopped.append(seed) }
                totals.add(outcome.stats)
            }
        }
        print("replication simulation, \(controller): \(Self.seedCount) seeds from \(Self.firstSeed) in \(elapsed); \(totals)")
        if !stopped.isEmpty { print("replication simulation, \(controller): stopped at a lossy unclean election: seeds \(stopped)") }
        for failure in failures.prefix(3) { Issue.record(Comment(rawValue: failure.text)) }
        #expect(failures.isEmpty, "\(controller): \(failures.count) failing seeds: \(failures.map(\.seed))")
    }

    /// KIP-966 at work (seed 2, real controller): leader 1's ISR [1, 3] loses 3 to fencing (3 is cut off from
    /// the controller, not from 1), so 3 becomes an eligible leader replica while the high watermark stands
    /// still below min.insync.replicas 2; 1, the ISR's last member, crashes losing records; 3 comes back, is
    /// elected from the ELR, and holds every acknowledged record; 1 registers after an unclean shutdown, so it
    /// left the ELR, and catches up as a follower. The run converges with every record acknowledged.
    @Test func anELRMemberLeadsAfterTheLastISRMemberLostRecords() {
        var config = SimConfig()
        config.controller = .real
        var cluster = SimCluster(seed: 2, config: config)
        #expect(cluster.run() == nil)
        #expect(cluster.converged && cluster.lossyUncleanElection == nil)
        #expect(cluster.stats.elrElectionsAfterLoss == 1 && cluster.stats.lossyCrashes >= 1)
        #expect(cluster.stats.acked == Int(config.recordsPerProducer) * config.producers)
    }

    /// Where KIP-966 still loses records (seed 1191, real controller): 1 leads ISR [1, 2, 3]; 3 crashes
    /// losing an acknowledged record, 1 is cut off from the controller and fenced (the ISR [2, 3] still meets
    /// min.insync.replicas, so 1 is no ELR member), then 2 and 3 are fenced: ISR empty, ELR [2, 3], last
    /// known leader 3. Both come back from unclean shutdowns and leave the ELR; Kafka then elects the last
    /// known leader uncleanly rather than keep the partition offline, and 3 lacks the record. The run stops
    /// there without a failure; the modeled controller (no last known leader) meets no such election.
    @Test func theLastKnownLeaderElectedAfterLosingRecordsStopsTheRun() {
        for controller in SimControllerKind.allCases {
            var config = SimConfig()
            config.controller = controller
            var cluster = SimCluster(seed: 1191, config: config)
            #expect(cluster.run() == nil)
            #expect((cluster.lossyUncleanElection != nil) == (controller == .real), "\(controller)")
        }
        var config = SimConfig()
        config.controller = .real
        var cluster = SimCluster(seed: 1191, config: config)
        _ = cluster.run()
        #expect(cluster.lossyUncleanElection?.contains("without acknowledged p1000#2 at 3") == true)
    }

    /// The runs do real work: leader changes, crashes that lose data, truncations, ISR changes, acks.
    /// (The real controller keeps every replica in the ISR when the brokers first register, the modeled
    /// one does not: it sees fewer ISR expansions.)
    @Test(arguments: SimControllerKind.allCases)
    func runsExerciseTheProtocol(_ controller: SimControllerKind) {
        var totals = SimCluster.Stats()
        defer { print("replication simulation, \(controller), seeds 1...50: \(totals)") }
        for seed: UInt64 in 1...50 {
            totals.add(simulate(seed: seed, controller: controller).stats)
        }
        #expect(totals.acked == 50 * 2 * 12, "every record acknowledged once the faults stop")
        #expect(totals.leaderEpochs > 50)
        #expect(totals.lossyCrashes > 20)
        #expect(totals.truncations > 50)
        #expect(totals.isrShrinks > 5)
        #expect(totals.isrExpansions > (controller == .modeled ? 100 : 50))
        if controller == .real {
            #expect(totals.elrElections > 5 && totals.elrElectionsAfterLoss > 0, "leaders from the ELR, some after a lossy crash")
        }
    }
}

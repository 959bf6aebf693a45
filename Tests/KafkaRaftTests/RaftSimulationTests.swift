import KafkaRaft
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thousands of seeded chaos runs of a 3-voter quorum (plus an observer), of a 5-voter quorum and of
/// KIP-853 membership changes; every failure names its seed. Set `RAFT_SIM_SEEDS` to run more or fewer.
@Suite struct RaftSimulationTests {
    static var seedCount: UInt64 {
        if let text = getenv("RAFT_SIM_SEEDS"), let count = UInt64(String(cString: text)) { return count }
        return 1000
    }

    static func runSeeds(_ seeds: ClosedRange<UInt64>, scenario: SimScenario, label: String) {
        let clock = ContinuousClock()
        var failures: [String] = []
        var electionMs: [Int64] = []
        var commitMs: [Int64] = []
        let elapsed = clock.measure {
            for seed in seeds {
                let outcome = scenario.outcome(seed: seed)
                if let failure = outcome.failure {
                    failures.append(failure)
                } else {
                    electionMs.append(outcome.electionMs)
                    commitMs.append(outcome.commitMs)
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        electionMs.sort()
        commitMs.sort()
        func percentile(_ values: [Int64], _ p: Double) -> Int64 {
            values.isEmpty ? -1 : values[min(values.count - 1, Int(Double(values.count) * p))]
        }
        print("\(label): \(seeds.count) seeds in \(seconds) s (\(Double(seeds.count) / seconds) seeds/s); "
            + "after faults stop, leader in p50 \(percentile(electionMs, 0.5)) / p99 \(percentile(electionMs, 0.99)) / "
            + "max \(electionMs.last ?? -1) ms, commit on every voter in p50 \(percentile(commitMs, 0.5)) / "
            + "p99 \(percentile(commitMs, 0.99)) / max \(commitMs.last ?? -1) ms")
        for failure in failures.prefix(5) {
            Issue.record(Comment(rawValue: failure))
        }
        #expect(failures.isEmpty, "\(failures.count) failing seeds: \(failures.map { $0.prefix(20) })")
    }

    /// The runs do real work: leaders in several epochs, crashes, and many committed entries.
    @Test func runsExerciseTheProtocol() {
        var totals = SimScenario.Outcome()
        for seed: UInt64 in 1...20 {
            let outcome = SimScenario().outcome(seed: seed)
            #expect(outcome.failure == nil)
            totals.events += outcome.events
            totals.committedEntries += outcome.committedEntries
            totals.epochs += outcome.epochs
            totals.crashes += outcome.crashes
            totals.snapshotsTaken += outcome.snapshotsTaken
            totals.snapshotsInstalled += outcome.snapshotsInstalled
        }
        print("20 seeds: \(totals.events) events, \(totals.committedEntries) committed entries, \(totals.epochs) led epochs, \(totals.crashes) crashes, \(totals.snapshotsTaken) snapshots taken, \(totals.snapshotsInstalled) installed")
        #expect(totals.committedEntries > 20 * 20)
        #expect(totals.epochs > 20 * 2)
        #expect(totals.crashes > 20)
        #expect(totals.snapshotsTaken > 20 * 3)
        // At least the wiped voter of every run installs the leader's snapshot.
        #expect(totals.snapshotsInstalled >= 20)
    }

    @Test func threeVotersManySeeds() {
        Self.runSeeds(1...Self.seedCount, scenario: SimScenario(), label: "3 voters + observer")
    }

    @Test func randomTimeoutsAndHarshNetworkManySeeds() {
        Self.runSeeds(2_000_001...(2_000_000 + Self.seedCount / 2),
                      scenario: SimScenario(observerCount: 2, randomizeConfig: true), label: "harsh, random timeouts")
    }

    /// KIP-853 under the same faults: each membership change, driven through the leader during the chaos,
    /// must reach its goal after the faults stop, with the invariants checked against the voter set of the
    /// committed log throughout.
    @Test(arguments: [(Reconfiguration.addObserver, UInt64(3_000_001)), (.removeVoter, 3_100_001),
                      (.removeLeader, 3_200_001), (.replace, 3_300_001)])
    func reconfigurationManySeeds(kind: Reconfiguration, firstSeed: UInt64) {
        Self.runSeeds(firstSeed...(firstSeed - 1 + max(1, Self.seedCount / 20)),
                      scenario: SimScenario(reconfiguration: kind), label: "reconfiguration \(kind)")
    }

    /// The same with random timeouts, a harsher network and two observers.
    @Test(arguments: [(Reconfiguration.addObserver, UInt64(5_000_001)), (.removeVoter, 5_100_001),
                      (.removeLeader, 5_200_001), (.replace, 5_300_001)])
    func reconfigurationHarshNetworkManySeeds(kind: Reconfiguration, firstSeed: UInt64) {
        Self.runSeeds(firstSeed...(firstSeed - 1 + max(1, Self.seedCount / 40)),
                      scenario: SimScenario(observerCount: 2, randomizeConfig: true, reconfiguration: kind),
                      label: "harsh reconfiguration \(kind)")
    }

    /// The changes really happen: the committed voter set ends at each goal.
    @Test func reconfigurationsReachTheirGoal() {
        let added = SimScenario(reconfiguration: .addObserver).outcome(seed: 11)
        #expect(added.voters == [1, 2, 3, 100])
        #expect(added.votersWithEndpoints.contains(100), "AddRaftVoter's listeners")
        #expect(added.votersWithEndpoints.contains { $0 < 100 }, "a static voter sent UpdateRaftVoter")
        #expect(SimScenario(reconfiguration: .removeVoter).outcome(seed: 12).voters == [1, 2])
        #expect(SimScenario(reconfiguration: .replace).outcome(seed: 13).voters == [1, 2, 100])
        let removedLeader = SimScenario(reconfiguration: .removeLeader).outcome(seed: 14)
        #expect(removedLeader.failure == nil)
        #expect(removedLeader.voters.count == 2)
    }

    @Test func fiveVotersManySeeds() {
        Self.runSeeds(1_000_001...(1_000_000 + Self.seedCount / 4),
                      scenario: SimScenario(voterCount: 5, observerCount: 1), label: "5 voters + observer")
    }
}

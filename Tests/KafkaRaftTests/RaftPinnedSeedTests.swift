import Testing

/// Seeds pinned as regression tests. Each one, with a deliberately broken core, made the simulation
/// fail with the invariant named (checked by hand while building the simulation); against the real core
/// they must pass. A seed that ever fails in `RaftSimulationTests` belongs here once its bug is fixed.
/// A seed names a trajectory of `SimScenario` as written: changing the chaos script or the network model
/// re-maps seeds, so re-check (and re-pick) these after such a change.
@Suite struct RaftPinnedSeedTests {
    /// Voting twice in an epoch: "epoch N has two leaders".
    @Test(arguments: [UInt64(24), 104])
    func doubleVoteSeedsThreeVoters(seed: UInt64) {
        #expect(SimScenario().run(seed: seed) == nil)
    }

    @Test(arguments: [UInt64(1_000_010), 1_000_025])
    func doubleVoteSeedsFiveVoters(seed: UInt64) {
        #expect(SimScenario(voterCount: 5, observerCount: 1).run(seed: seed) == nil)
    }

    /// Fetching before the log is durable: "only k of the voters durably hold the committed entries".
    @Test func unflushedFetchSeedThreeVoters() {
        #expect(SimScenario().run(seed: 1) == nil)
    }

    @Test(arguments: [UInt64(1_000_001), 1_000_004])
    func unflushedFetchSeedsFiveVoters(seed: UInt64) {
        #expect(SimScenario(voterCount: 5, observerCount: 1).run(seed: seed) == nil)
    }

    /// Fetch validation ignoring the last fetched epoch: committed entries differ between replicas.
    @Test(arguments: [UInt64(2_000_060), 2_000_149, 2_000_195])
    func logMatchingSeeds(seed: UInt64) {
        #expect(SimScenario(observerCount: 2, randomizeConfig: true).run(seed: seed) == nil)
    }

    @Test func logMatchingSeedThreeVoters() {
        #expect(SimScenario().run(seed: 236) == nil)
    }

    /// KIP-853 with the one-change-at-a-time checks removed (a second VotersRecord appended while the
    /// previous one is uncommitted): committed entries differ between replicas.
    @Test func concurrentVoterChangesSeed() {
        #expect(SimScenario(reconfiguration: .replace).run(seed: 3_300_055) == nil)
    }

    /// The same, on the harsh network: a leader asks a replica to truncate below its high watermark.
    @Test func concurrentVoterChangesHarshSeed() {
        #expect(SimScenario(observerCount: 2, randomizeConfig: true, reconfiguration: .replace).run(seed: 5_300_074) == nil)
    }
}

/// The tally of one election (pre-vote or vote) among the voters: who granted, who rejected.
///
/// Invariant: the local replica's own vote is recorded as granted at creation; the election is won once a
/// majority granted and lost once so many rejected that a majority can no longer be reached.
public struct EpochElection: Hashable, Sendable {
    public let voters: VoterSet
    public private(set) var granted: Set<Int32> = []
    public private(set) var rejected: Set<Int32> = []

    public init(voters: VoterSet, localID: Int32) {
        self.voters = voters
        granted.insert(localID)
    }

    /// Records a vote; a voter's first answer counts, later ones are ignored.
    public mutating func record(_ voterID: Int32, granted isGranted: Bool) {
        guard voters.contains(voterID), !granted.contains(voterID), !rejected.contains(voterID) else { return }
        if isGranted { granted.insert(voterID) } else { rejected.insert(voterID) }
    }

    public var isVoteGranted: Bool { granted.count >= voters.majority }
    public var isVoteRejected: Bool { rejected.count > voters.count - voters.majority }
    /// Voters that have not answered yet.
    public var unrecordedVoters: [Int32] { voters.sorted.filter { !granted.contains($0) && !rejected.contains($0) } }
}

/// The voter sets and kraft.version levels a replica's log has written, by offset (Kafka's
/// `KRaftControlRecordStateMachine` with its `VoterSetHistory`).
///
/// Invariants: entries are in increasing offset order and every one is below the log end offset; the
/// effective voter set is the last `voters` entry, uncommitted included, or `staticVoters` when there is
/// none; truncating the log truncates the history with it. The kraft.version is 0 until a
/// `kraftVersion` entry is written.
public struct ControlRecordHistory: Hashable, Sendable {
    public struct Entry<Value: Hashable & Sendable>: Hashable, Sendable {
        public var offset: Int64
        public var value: Value
    }

    /// `controller.quorum.voters`: the voters until the log names its own.
    public let staticVoters: VoterSet
    public private(set) var voterSets: [Entry<VoterSet>] = []
    public private(set) var kraftVersions: [Entry<Int16>] = []

    public init(staticVoters: VoterSet) {
        self.staticVoters = staticVoters
    }

    /// Replays a whole log (at startup). `snapshotRecords` are the KRaftVersion and VotersRecord stored
    /// with the snapshot the log starts after (Kafka writes them into the checkpoint): they hold for the
    /// offsets the snapshot covers.
    public init(staticVoters: VoterSet, log: some RaftLog, snapshotRecords: [RaftControlRecord] = []) {
        self.init(staticVoters: staticVoters)
        if log.logStartOffset > 0 {
            apply(snapshotRecords.map { RaftEntry(epoch: 0, control: $0) }, baseOffset: log.logStartOffset - 1)
        }
        var offset = log.logStartOffset
        while offset < log.endOffset.offset {
            let chunk = log.entries(from: offset, maxCount: 1024)
            guard !chunk.isEmpty else { break }
            apply(chunk, baseOffset: offset)
            offset += Int64(chunk.count)
        }
    }

    /// The effective voter set.
    public var voters: VoterSet { voterSets.last?.value ?? staticVoters }
    /// The offset of the `VotersRecord` that made the effective set, nil for the static set.
    public var lastVoterSetOffset: Int64? { voterSets.last?.offset }
    public var kraftVersion: Int16 { kraftVersions.last?.value ?? 0 }

    /// The voter set in force at `offset`: the last one written below it.
    public func voters(at offset: Int64) -> VoterSet {
        voterSets.last { $0.offset < offset }?.value ?? staticVoters
    }

    /// The kraft.version in force at `offset`.
    public func kraftVersion(at offset: Int64) -> Int16 {
        kraftVersions.last { $0.offset < offset }?.value ?? 0
    }

    /// The control records a snapshot ending at `offset` must carry (kraft.version 1 and beyond): what a
    /// shell writes into the checkpoint so a restart from it knows the voters.
    public func snapshotRecords(at offset: Int64) -> [RaftControlRecord] {
        let version = kraftVersion(at: offset)
        guard version >= 1 else { return [] }
        return [.kraftVersion(version), .voters(voters(at: offset))]
    }

    /// Entries appended at `baseOffset`.
    public mutating func apply(_ entries: [RaftEntry], baseOffset: Int64) {
        for (index, entry) in entries.enumerated() {
            switch entry.control {
            case .voters(let set)?: voterSets.append(Entry(offset: baseOffset + Int64(index), value: set))
            case .kraftVersion(let version)?:
                kraftVersions.append(Entry(offset: baseOffset + Int64(index), value: version))
            case .leaderChange?, nil: break
            }
        }
    }

    /// The log lost every entry at `offset` and beyond.
    public mutating func truncate(to offset: Int64) {
        voterSets.removeAll { $0.offset >= offset }
        kraftVersions.removeAll { $0.offset >= offset }
    }
}

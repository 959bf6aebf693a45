/// FetchSnapshot (API 59, KIP-630): a follower or observer whose fetch offset fell behind the leader's log
/// start downloads the leader's latest snapshot in chunks, naming the byte `position` it wants next.
public struct FetchSnapshotRequest: Hashable, Sendable {
    public var clusterID: String?
    /// `ReplicaId`: who is fetching.
    public var replicaID: Int32
    /// `MaxBytes`: at most this many bytes of snapshot in the answer.
    public var maxBytes: Int32
    /// `CurrentLeaderEpoch`, -1 when unknown.
    public var currentLeaderEpoch: Int32
    /// `SnapshotId`: `EndOffset` and `Epoch` of the snapshot, as the Fetch response's `SnapshotId` named it.
    public var snapshotID: OffsetAndEpoch
    /// `Position`: the byte offset within the snapshot to read from.
    public var position: Int64

    public init(clusterID: String? = nil, replicaID: Int32, maxBytes: Int32, currentLeaderEpoch: Int32,
                snapshotID: OffsetAndEpoch, position: Int64) {
        self.clusterID = clusterID
        self.replicaID = replicaID
        self.maxBytes = maxBytes
        self.currentLeaderEpoch = currentLeaderEpoch
        self.snapshotID = snapshotID
        self.position = position
    }
}

/// The leader's answer: `Size` bytes in all, `UnalignedRecords` holding the bytes from `Position` on.
/// Errors (`ErrorCode` of the partition; the top-level one is folded in): SNAPSHOT_NOT_FOUND,
/// POSITION_OUT_OF_RANGE, and the epoch errors of Fetch, each with `CurrentLeader`.
public struct FetchSnapshotResponse: Hashable, Sendable {
    public var errorCode: RaftErrorCode
    /// `SnapshotId`: the snapshot the bytes belong to (the request's on errors).
    public var snapshotID: OffsetAndEpoch
    /// `CurrentLeader.LeaderId`, -1 when unknown.
    public var leaderID: Int32
    /// `CurrentLeader.LeaderEpoch`.
    public var leaderEpoch: Int32
    /// `Size`: the snapshot's total size in bytes (0 on errors).
    public var size: Int64
    /// `Position`: where `unalignedRecords` starts within the snapshot.
    public var position: Int64
    /// `UnalignedRecords`: raw snapshot bytes, not necessarily cut at a batch boundary.
    public var unalignedRecords: [UInt8]

    public init(errorCode: RaftErrorCode, snapshotID: OffsetAndEpoch, leaderID: Int32, leaderEpoch: Int32,
                size: Int64 = 0, position: Int64 = 0, unalignedRecords: [UInt8] = []) {
        self.errorCode = errorCode
        self.snapshotID = snapshotID
        self.leaderID = leaderID
        self.leaderEpoch = leaderEpoch
        self.size = size
        self.position = position
        self.unalignedRecords = unalignedRecords
    }
}

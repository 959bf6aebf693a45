/// KIP-853 across a snapshot install: the voters and kraft.version in force at a snapshot are kept in
/// the checkpoint's header batch, which only the shell reads.
extension RaftCore {
    /// Call after performing `installSnapshot(id:)` with the control records of that snapshot's header:
    /// they replace the history below `id.offset` (the log now starts there). Returns `votersChanged`
    /// when the effective voter set differs from before; perform it like any action.
    public mutating func adoptSnapshotControlRecords(_ records: [RaftControlRecord], snapshot id: OffsetAndEpoch) -> [RaftAction] {
        guard log.logStartOffset == id.offset else { return [] }
        let before = controlRecords.voters
        var history = ControlRecordHistory(staticVoters: controlRecords.staticVoters)
        history.apply(records.map { RaftEntry(epoch: id.epoch, control: $0) }, baseOffset: id.offset - 1)
        var offset = id.offset
        while offset < log.endOffset.offset {
            let chunk = log.entries(from: offset, maxCount: 1024)
            guard !chunk.isEmpty else { break }
            history.apply(chunk, baseOffset: offset)
            offset += Int64(chunk.count)
        }
        controlRecords = history
        return controlRecords.voters == before ? [] : [.votersChanged(controlRecords.voters)]
    }
}

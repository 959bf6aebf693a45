import NIOCore

/// In-place edits of the two header fields a broker assigns on append. Both lie before the CRC'd range
/// (which starts at byte 21), so the batch's CRC stays valid. `index` is the batch's first byte.
extension ByteBuffer {
    /// Writes baseOffset (int64 at batch offset 0).
    public mutating func setRecordBatchBaseOffset(_ offset: Int64, at index: Int) {
        setInteger(offset, at: index + RecordBatchHeader.Offset.baseOffset)
    }

    /// Writes partitionLeaderEpoch (int32 at batch offset 12).
    public mutating func setRecordBatchPartitionLeaderEpoch(_ epoch: Int32, at index: Int) {
        setInteger(epoch, at: index + RecordBatchHeader.Offset.partitionLeaderEpoch)
    }
}

import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import NIOCore

/// The metadata image in and out of snapshots (`.checkpoint` bytes).
extension MetadataService {
    /// Replaces the image with the one a snapshot holds (at start, or after installing the leader's),
    /// and tells the publishers what changed. A snapshot that does not read or replay is logged and
    /// left alone: the quorum has already checked its CRCs, so this is a bug, not bad input.
    nonisolated func loadSnapshot(id: OffsetAndEpoch, bytes: [UInt8]) {
        do {
            let reader = try CheckpointReader(bytes: ByteBuffer(bytes: bytes))
            var delta = MetadataDelta(base: .empty)
            // As for the log: a record this image cannot take is logged and skipped, not the whole snapshot.
            for (index, value) in reader.values.enumerated() {
                do {
                    try delta.replay(MetadataRecordSerde.decode(value).record)
                } catch {
                    logger.error("skipped a snapshot record that does not replay",
                                 metadata: ["raft.snapshot": "\(id)", "snapshot.record": "\(index)", "error": "\(error)"])
                }
            }
            let next = delta.apply(provenance: MetadataProvenance(offset: id.offset - 1, epoch: id.epoch))
            replaceImage(with: next)
            logger.info("loaded metadata from a snapshot", metadata: [
                "raft.snapshot": "\(id)", "snapshot.records": "\(reader.values.count)",
                "kafka.topics": "\(next.topicsByID.count)",
            ])
        } catch {
            logger.error("could not load a metadata snapshot", metadata: ["raft.snapshot": "\(id)", "error": "\(error)"])
        }
    }
}

import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import Logging
import NIOCore

/// KIP-630 in the shell: each snapshot action of the core mirrored to `.checkpoint` files and the log.
///
/// Invariant: a snapshot is `.checkpoint` (fsync'd, renamed) before the log prefix behind it goes;
/// an installed snapshot replaces the metadata image and the applied offset together.
extension QuorumDriver {
    /// Carries out one snapshot action; false when a file operation failed and the quorum must stop.
    func performSnapshotAction(_ action: RaftAction) -> Bool {
        do {
            switch action {
            case .writeSnapshotChunk(let id, let position, let bytes):
                let writer = try incomingSnapshots[id] ?? CheckpointChunkWriter(directory: disk.directory, snapshotID: id)
                incomingSnapshots[id] = writer
                try writer.write(ByteBuffer(bytes: bytes), at: position)
            case .freezeSnapshot(let id):
                guard let writer = incomingSnapshots.removeValue(forKey: id), let size = core.log.snapshotSize(id) else {
                    logger.critical("asked to freeze a snapshot that was never written", metadata: ["raft.snapshot": "\(id)"])
                    return false
                }
                _ = try writer.finish(expectedSize: size)
                logger.info("stored a metadata snapshot", metadata: ["raft.snapshot": "\(id)", "snapshot.bytes": "\(size)"])
            case .abandonSnapshot(let id):
                incomingSnapshots.removeValue(forKey: id)?.abandon()
            case .deleteLogPrefix(let before):
                try disk.deletePrefix(before: before, now: clock.nowMs())
                if let latest = core.log.latestSnapshotID {
                    _ = try CheckpointDirectory.deleteSnapshots(before: latest, in: disk.directory)
                }
            case .installSnapshot(let id):
                try disk.restart(at: id.offset, now: clock.nowMs())
                guard let size = core.log.snapshotSize(id) else {
                    logger.critical("asked to install a snapshot the log does not hold", metadata: ["raft.snapshot": "\(id)"])
                    return false
                }
                let bytes = core.log.readSnapshot(id, position: 0, maxBytes: Int(size))
                onSnapshot(id, bytes)
                appliedOffset = id.offset
                // The voters and kraft.version at the snapshot come from its header batch.
                let controls = try CheckpointReader(bytes: ByteBuffer(bytes: bytes)).controlRecords
                    .compactMap { try? RaftEntryBatches.raftControl($0) }
                for case .votersChanged(let set) in core.adoptSnapshotControlRecords(controls, snapshot: id) {
                    votersChanged(set)
                }
                snapshots.restart(now: clock.nowMs())
                logger.info("installed the leader's metadata snapshot", metadata: ["raft.snapshot": "\(id)", "snapshot.bytes": "\(size)"])
                if let latest = core.log.latestSnapshotID {
                    _ = try CheckpointDirectory.deleteSnapshots(before: latest, in: disk.directory)
                }
            case .snapshotRejected(let id, let reason):
                logger.debug("the quorum refused a snapshot", metadata: ["raft.snapshot": "\(id)", "reason": "\(reason)"])
            default:
                break
            }
            return true
        } catch {
            logger.critical("a metadata snapshot file operation failed; stopping the quorum", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Starts a snapshot of the applied metadata when the policy says so; it is built off the actor and
    /// handed to the core, which stores it only if it is still valid (at or below the high watermark).
    func maybeSnapshot() {
        guard appliedOffset > (core.log.latestSnapshotID?.offset ?? 0) else { return }
        let now = clock.nowMs()
        guard snapshots.startIfDue(now: now) else { return }
        // The image is taken here, on the actor, where it is exactly the applied entries (a cheap copy);
        // encoding and writing it happen off the actor.
        let image = snapshotSource()
        let directory = disk.directory
        let logger = self.logger
        guard image.provenance.offset + 1 == appliedOffset, let epoch = core.log.epoch(at: appliedOffset - 1) else {
            snapshots.buildEnded(stored: false, now: now)
            return
        }
        let id = OffsetAndEpoch(offset: appliedOffset, epoch: epoch)
        // Kafka's snapshot header batch carries the kraft.version and voter set in force at its offset.
        let controls = core.controlRecords.snapshotRecords(at: appliedOffset).map { RaftEntryBatches.kraftRecord(for: $0) }
        // Encoding and writing the file block: they run on the node's blocking-I/O executor.
        let io = self.io
        Task { [weak self] in
            do {
                let bytes = try await io.run {
                    let values = try image.snapshotRecords().map { Array(buffer: try MetadataRecordSerde.encode($0)) }
                    return try Self.checkpointBytes(id: id, values: values, controls: controls, scratch: directory, now: now)
                }
                await self?.snapshotBuilt((id, bytes))
            } catch {
                logger.error("could not build a metadata snapshot", metadata: ["error": "\(error)"])
                await self?.snapshotBuilt(nil)
            }
        }
    }

    func snapshotBuilt(_ built: (id: OffsetAndEpoch, bytes: [UInt8])?) {
        // The image may have moved on while it was being written; the snapshot is still a valid
        // committed prefix if the entry before it kept its epoch.
        guard let built, core.log.epoch(at: built.id.offset - 1) == built.id.epoch else {
            snapshots.buildEnded(stored: false, now: clock.nowMs())
            return
        }
        snapshots.buildEnded(stored: true, now: clock.nowMs())
        handle(.createSnapshot(id: built.id, bytes: built.bytes))
    }

    /// A `.checkpoint` file's bytes for `values`, built in a scratch directory beside the log.
    static func checkpointBytes(id: OffsetAndEpoch, values: [[UInt8]], controls: [KRaftControlRecord], scratch directory: String,
                                now: Int64) throws -> [UInt8] {
        let scratch = (directory as NSString).appendingPathComponent("snapshot-build")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let writer = try CheckpointWriter.create(directory: scratch, snapshotID: id, lastContainedLogTimestamp: now, now: now,
                                                 controlRecords: controls)
        do {
            try writer.append(values)
            let path = try writer.finish()
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            return try MetadataRaftLog.readWholeFile(path)
        } catch {
            writer.abandon()
            throw error
        }
    }
}

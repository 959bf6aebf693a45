import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The node's published metadata: the image every broker layer reads, the quorum status, and the high
/// watermark the quorum last reported; and the waits on them.
///
/// Invariants: the published image is the replay of the committed log in offset order (entries arrive
/// from the quorum driver once committed, each once). Publishers (the replica manager opening logs,
/// setting leadership) run with each delta *before* its image is published, so no reader of `image`
/// ever sees a partition this node's replica manager has not applied. Every change wakes the waiters
/// whose condition now holds; a waiter is resumed exactly once (condition, deadline or cancellation).
public final class MetadataPublication: Sendable {
    /// Called with each delta and the image it produced, in commit order, before the image is published.
    public typealias Publisher = @Sendable (MetadataDelta, MetadataImage) -> Void

    /// What waiters look at.
    public struct View: Sendable {
        public var image: MetadataImage
        public var status: QuorumDriver.Status
        /// The quorum's high watermark as last reported (nil before any was learned).
        public var highWatermark: Int64?
    }

    private struct Waiter {
        var condition: @Sendable (View) -> Bool
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var view = View(image: .empty, status: QuorumDriver.Status(epoch: 0, leaderID: nil, isLeader: false, epochStartOffset: nil))
        var publishers: [Publisher] = []
        var nextWaiterID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
    }

    private let state = NIOLockedValueBox(State())
    /// Serialises publication: the driver replays in order, a snapshot install may come from it too.
    private let publishing = NIOLock()
    private let clock: NodeClock
    private let logger: Logger

    public init(clock: NodeClock, logger: Logger) {
        self.clock = clock
        self.logger = logger
    }

    public var view: View { state.withLockedValue { $0.view } }
    public var image: MetadataImage { state.withLockedValue { $0.view.image } }
    public var status: QuorumDriver.Status { state.withLockedValue { $0.view.status } }

    public func addPublisher(_ publisher: @escaping Publisher) {
        state.withLockedValue { $0.publishers.append(publisher) }
    }

    // MARK: changes (from the quorum driver, in commit order)

    /// Replays committed entries into a new image and publishes it, with the high watermark they were
    /// committed under. A record the image refuses is logged and skipped: the log is the truth.
    func replayCommitted(firstOffset: Int64, entries: [RaftEntry], highWatermark: Int64) {
        publishing.withLock {
            guard !entries.isEmpty else {
                update { $0.highWatermark = max($0.highWatermark ?? highWatermark, highWatermark) }
                return
            }
            let base = image
            var delta = MetadataDelta(base: base)
            var provenance = base.provenance
            for (i, entry) in entries.enumerated() {
                let offset = firstOffset + Int64(i)
                provenance = MetadataProvenance(offset: offset, epoch: entry.epoch)
                guard !entry.isControl else { continue }
                do {
                    let record = try MetadataRecordSerde.decode(ByteBuffer(bytes: entry.payload))
                    try delta.replay(record.record)
                } catch {
                    logger.error("skipped a metadata record that does not replay", metadata: ["raft.offset": "\(offset)", "error": "\(error)"])
                }
            }
            publish(delta, delta.apply(provenance: provenance), highWatermark: highWatermark)
        }
    }

    /// Publishes `next` in place of the current image (a snapshot install), with the change between them.
    func replaceImage(with next: MetadataImage) {
        publishing.withLock {
            publish(MetadataDelta.transition(from: image, to: next), next, highWatermark: nil)
        }
    }

    /// Replaces the image with the one a snapshot holds (at start, or after installing the leader's).
    /// A snapshot that does not read is logged and left alone: the quorum has already checked its CRCs,
    /// so this is a bug, not bad input; a record this image cannot take is skipped, as in the log.
    func loadSnapshot(id: OffsetAndEpoch, bytes: [UInt8]) {
        do {
            let reader = try CheckpointReader(bytes: ByteBuffer(bytes: bytes))
            var delta = MetadataDelta(base: .empty)
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

    func statusChanged(_ status: QuorumDriver.Status) {
        update { $0.status = status }
    }

    private func publish(_ delta: MetadataDelta, _ next: MetadataImage, highWatermark: Int64?) {
        let publishers = state.withLockedValue { $0.publishers }
        for p in publishers { p(delta, next) }
        update { view in
            view.image = next
            if let highWatermark { view.highWatermark = max(view.highWatermark ?? highWatermark, highWatermark) }
        }
    }

    /// Changes the view and wakes the waiters whose condition holds on the new one.
    private func update(_ change: (inout View) -> Void) {
        let ready = state.withLockedValue { s -> [CheckedContinuation<Bool, Never>] in
            change(&s.view)
            let view = s.view
            let ready = s.waiters.filter { $0.value.condition(view) }
            for id in ready.keys { s.waiters.removeValue(forKey: id) }
            return ready.values.map(\.continuation)
        }
        for c in ready { c.resume(returning: true) }
    }

    // MARK: waiting

    /// Returns true once `condition` holds on the published view (at once if it already does), or false
    /// when the clock reaches `deadlineMs` (nil: no deadline) or the task is cancelled first.
    public func wait(until condition: @escaping @Sendable (View) -> Bool, deadlineMs: Int64? = nil) async -> Bool {
        if condition(view) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            let id = state.withLockedValue { s -> UInt64 in s.nextWaiterID += 1; return s.nextWaiterID }
            group.addTask { await self.park(id, condition) }
            if let deadlineMs {
                group.addTask { [clock] in
                    try? await clock.sleep(untilMs: deadlineMs)
                    return false
                }
            }
            let first = await group.next() ?? false
            // Whichever finished first, the other is released: the parked waiter resumes with false.
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
            group.cancelAll()
            return first
        }
    }

    private func park(_ id: UInt64, _ condition: @escaping @Sendable (View) -> Bool) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now: Bool? = state.withLockedValue { s in
                    if Task.isCancelled { return false }
                    if condition(s.view) { return true }
                    s.waiters[id] = Waiter(condition: condition, continuation: c)
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
        }
    }
}

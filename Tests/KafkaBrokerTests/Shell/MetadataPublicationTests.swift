@testable import KafkaBroker
import KafkaMetadata
import KafkaProtocol
import KafkaRaft
import BrokerTestKit
import KafkaTestKit
import Logging
import NIOConcurrencyHelpers
import Testing

/// `MetadataPublication` on a manual clock: waits end on the change that satisfies them (never on
/// time), deadlines come from the injected clock, and publishers see each image before readers do.
@Suite struct MetadataPublicationTests {
    static func entry(_ record: any KafkaMetadataRecord, epoch: Int32 = 1) throws -> RaftEntry {
        RaftEntry(epoch: epoch, payload: Array(buffer: try MetadataRecordSerde.encode(MetadataRecordAndVersion(record, version: 0))))
    }

    static func topic(_ name: String) throws -> RaftEntry {
        try entry(TopicRecord(name: name, topicID: KafkaUUID(mostSignificantBits: 1, leastSignificantBits: UInt64(name.count))))
    }

    @Test func aWaitEndsWithThePublicationThatSatisfiesIt() async throws {
        let clock = ManualClock()
        let publication = MetadataPublication(clock: clock, logger: Logger(label: "test"))
        let waiting = Task { await publication.wait(until: { $0.image.topic(named: "b") != nil }, deadlineMs: clock.nowMs() + 5_000) }
        await clock.sleepers(atLeast: 1)
        publication.replayCommitted(firstOffset: 0, entries: [try Self.topic("a")], highWatermark: 1)
        #expect(clock.pendingDeadlines.count == 1, "a publication that does not satisfy the wait leaves it waiting")
        publication.replayCommitted(firstOffset: 1, entries: [try Self.topic("b")], highWatermark: 2)
        #expect(await waiting.value == true)
        #expect(publication.image.provenance.offset == 1)
        #expect(publication.view.highWatermark == 2)
    }

    @Test func aWaitGivesUpAtItsDeadlineOnTheNodesClock() async throws {
        let clock = ManualClock()
        let publication = MetadataPublication(clock: clock, logger: Logger(label: "test"))
        let waiting = Task { await publication.wait(until: { $0.status.leaderID != nil }, deadlineMs: clock.nowMs() + 5_000) }
        await clock.sleepers(atLeast: 1)
        clock.advance(byMs: 4_999)
        #expect(clock.pendingDeadlines.count == 1)
        clock.advance(byMs: 1)
        #expect(await waiting.value == false)
        // A condition that already holds returns at once, whatever the deadline.
        publication.statusChanged(QuorumDriver.Status(epoch: 3, leaderID: 2, isLeader: false, epochStartOffset: nil))
        #expect(await publication.wait(until: { $0.status.leaderID == 2 }, deadlineMs: clock.nowMs()))
    }

    @Test func aCancelledWaitReturnsFalse() async {
        let clock = ManualClock()
        let publication = MetadataPublication(clock: clock, logger: Logger(label: "test"))
        let waiting = Task { await publication.wait(until: { _ in false }) }
        waiting.cancel()
        #expect(await waiting.value == false)
    }

    @Test func aHighWatermarkWithoutEntriesWakesWaitersAndNeverMovesBack() async throws {
        let clock = ManualClock()
        let publication = MetadataPublication(clock: clock, logger: Logger(label: "test"))
        publication.replayCommitted(firstOffset: 0, entries: [try Self.topic("a")], highWatermark: 1)
        let waiting = Task { await publication.wait(until: { ($0.highWatermark ?? 0) >= 5 }) }
        publication.replayCommitted(firstOffset: 1, entries: [], highWatermark: 5)
        #expect(await waiting.value)
        publication.replayCommitted(firstOffset: 1, entries: [], highWatermark: 3)
        #expect(publication.view.highWatermark == 5)
        #expect(publication.image.provenance.offset == 0, "no entries, no new image")
    }

    /// The ordering that issue 10 asks for: a publisher (the replica manager) has applied an image
    /// before any reader of `image`, or any waiter, can see it.
    @Test func publishersRunBeforeTheImageIsVisible() async throws {
        let clock = ManualClock()
        let publication = MetadataPublication(clock: clock, logger: Logger(label: "test"))
        let seenByReaders = NIOLockedValueBox<[Bool]>([])
        publication.addPublisher { _, next in
            // While the publisher runs, readers still see the previous image.
            seenByReaders.withLockedValue { $0.append(publication.image.topic(named: "t") != nil) }
            #expect(next.topic(named: "t") != nil)
        }
        publication.replayCommitted(firstOffset: 0, entries: [try Self.topic("t")], highWatermark: 1)
        #expect(seenByReaders.withLockedValue { $0 } == [false])
        #expect(publication.image.topic(named: "t") != nil)
    }
}

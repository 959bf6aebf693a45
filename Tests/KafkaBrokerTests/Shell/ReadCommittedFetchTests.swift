@testable import KafkaBroker
import KafkaLog
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// Fetch with isolation level 1 (read_committed) on a leader whose log holds transactions: records up to
/// the last stable offset, the aborted transactions among them, and the last stable offset in every
/// answer; read_uncommitted still reads to the high watermark.
@Suite struct ReadCommittedFetchTests {
    typealias Support = FetchFromFollowerTests

    static func transactional(_ producerId: Int64, sequence: Int32) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 0, baseSequence: sequence, isTransactional: true)
        for i in 0..<2 { builder.append(timestamp: 1_000, key: nil, value: Array("p\(producerId)-\(i)".utf8)) }
        return try builder.build().bytes
    }

    /// This node leading "t"-0 alone, with: producer 1's transaction at 0-1 aborted at 4, producer 2's
    /// at 2-3 still open, all below the high watermark (5).
    static func leader() throws -> (Support.Node, Partition, MetadataImage) {
        let node = try Support.Node()
        let (image, delta) = try Support.image(leader: 1, replicas: [1])
        node.replicas.apply(image: image, delta: delta)
        let partition = try #require(node.replicas.replica(TopicPartition("t", 0)))
        try partition.withLog { log in
            try log.append(transactional(1, sequence: 0), leaderEpoch: Support.leaderEpoch, now: 0)
            try log.append(transactional(2, sequence: 0), leaderEpoch: Support.leaderEpoch, now: 0)
            try log.appendMarker(producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, isAbort: true, leaderEpoch: Support.leaderEpoch, now: 0)
            log.updateHighWatermark(log.logEndOffset)
        }
        return (node, partition, image)
    }

    @Test func readCommittedStopsAtTheLastStableOffsetAndListsTheAbortedTransactions() async throws {
        let (node, partition, image) = try Self.leader()
        let committed = try #require(node.reader.read([Support.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 1,
                                                      fetcher: .consumer(nil)).first?.data)
        #expect(committed.errorCode == 0 && committed.highWatermark == 5 && committed.lastStableOffset == 2)
        var reader = RecordBatchReader(try #require(committed.records))
        #expect(try reader.readAll().map(\.header.baseOffset) == [0], "producer 2's open transaction at 2 is not stable")
        #expect(committed.abortedTransactions == [.init(producerID: 1, firstOffset: 0)])

        let uncommitted = try #require(node.reader.read([Support.fetch(at: 0)], image: image, maxBytes: 1 << 20, isolationLevel: 0,
                                                        fetcher: .consumer(nil)).first?.data)
        #expect(uncommitted.lastStableOffset == 2 && uncommitted.abortedTransactions == nil)
        reader = RecordBatchReader(try #require(uncommitted.records))
        #expect(try reader.readAll().map(\.header.baseOffset) == [0, 2, 4])

        // Producer 2 commits: everything is stable once the high watermark passes the marker.
        try partition.withLog { log in
            try log.appendMarker(producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, isAbort: false, leaderEpoch: Support.leaderEpoch, now: 0)
            log.updateHighWatermark(log.logEndOffset)
        }
        let later = try #require(node.reader.read([Support.fetch(at: 2)], image: image, maxBytes: 1 << 20, isolationLevel: 1,
                                                  fetcher: .consumer(nil)).first?.data)
        #expect(later.lastStableOffset == 6 && later.highWatermark == 6)
        reader = RecordBatchReader(try #require(later.records))
        #expect(try reader.readAll().map(\.header.baseOffset) == [2, 4, 5])
        #expect(later.abortedTransactions == [.init(producerID: 1, firstOffset: 0)], "the abort at 4 is in the fetched range")
        await node.close()
    }
}

import Foundation
@testable import KafkaBroker
import KafkaRaft
import KafkaRaftWire
import Logging
import NIOCore
import Testing

/// Quorum Fetch served from the stored `__cluster_metadata` batches: whole batches, exactly the
/// entries asked for, at their epochs; anything that does not line up falls back (nil).
@Suite struct MetadataStoredBatchesTests {
    static func entries(_ count: Int, epoch: Int32, from start: Int = 0) -> [RaftEntry] {
        (start..<(start + count)).map { RaftEntry(epoch: epoch, payload: Array("entry-\($0)".utf8)) }
    }

    @Test func alignedFetchesGetStoredBatchesAndTheRestFallsBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strom-stored-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try MetadataRaftLog(logDirectory: dir, logger: Logger(label: "test"), now: 1_000)
        defer { try? log.close() }
        let codec = RaftEntryBatches()
        // Two appends: offsets 0-2 at epoch 1, then 3-7 at epoch 2.
        let all = Self.entries(3, epoch: 1) + Self.entries(5, epoch: 2, from: 3)
        try log.append(Array(all[0..<3]), baseOffset: 0, codec: codec, now: 1_000)
        try log.append(Array(all[3...]), baseOffset: 3, codec: codec, now: 1_000)
        let epochAt = { (offset: Int64) -> Int32? in all.indices.contains(Int(offset)) ? all[Int(offset)].epoch : nil }

        let whole = try #require(log.storedBatches(from: 0, before: 8, maxBytes: 1 << 20, epochAt: epochAt))
        let decoded = try RaftEntryBatches.decode(whole)
        #expect(decoded.baseOffset == 0 && decoded.entries == all, "both batches, byte for byte what was stored")

        let first = try #require(log.storedBatches(from: 0, before: 5, maxBytes: 1 << 20, epochAt: epochAt))
        #expect(try RaftEntryBatches.decode(first).entries == Array(all[0..<3]), "a batch reaching past the answer is left out")

        let second = try #require(log.storedBatches(from: 3, before: 8, maxBytes: 1 << 20, epochAt: epochAt))
        #expect(try RaftEntryBatches.decode(second).baseOffset == 3)

        #expect(log.storedBatches(from: 1, before: 8, maxBytes: 1 << 20, epochAt: epochAt) == nil, "inside a batch: encode instead")
        #expect(log.storedBatches(from: 3, before: 6, maxBytes: 1 << 20, epochAt: epochAt) == nil, "first batch longer than the answer")
        #expect(log.storedBatches(from: 0, before: 8, maxBytes: 1 << 20, epochAt: { _ in 9 }) == nil, "epochs must match the core's")
    }
}

import Foundation
import KafkaTestKit
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import KafkaRecords
import NIOCore
import SeededRandom
import Testing

/// A fresh directory under the system temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "strom-checkpoint-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }
    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: file(name)))) }
    func write(_ bytes: [UInt8], to name: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: file(name))) }
    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }
    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct CheckpointTests {
    static let id = OffsetAndEpoch(offset: 120, epoch: 4)
    static let name = "00000000000000000120-0000000004.checkpoint"

    /// Values of varied sizes, like metadata record frames.
    static func values(_ count: Int) -> [[UInt8]] {
        (0..<count).map { i in [1, 0, UInt8(i % 256)] + [UInt8](repeating: UInt8(truncatingIfNeeded: i &* 31), count: (i * 37) % 90) }
    }

    /// Writes a complete snapshot and returns its values.
    @discardableResult
    static func writeSnapshot(in dir: TemporaryDirectory, id: OffsetAndEpoch = id, count: Int = 60, maxBatchBytes: Int = 600) throws -> [[UInt8]] {
        let values = values(count)
        let writer = try CheckpointWriter.create(directory: dir.path, snapshotID: id, lastContainedLogTimestamp: 1_234, now: 5_678, maxBatchBytes: maxBatchBytes)
        try writer.append(Array(values[..<(count / 2)]))
        try writer.append(values[(count / 2)...].map { ByteBuffer(bytes: $0) })
        try writer.finish()
        return values
    }

    /// The batches of a file, with their byte positions.
    static func batches(_ bytes: [UInt8]) throws -> [(position: Int, batch: RecordBatch)] {
        var reader = RecordBatchReader(ByteBuffer(bytes: bytes))
        var out: [(Int, RecordBatch)] = []
        while true {
            let position = bytes.count - reader.remainingBytes
            guard let batch = try reader.next() else { break }
            out.append((position, batch))
        }
        return out
    }

    @Test func fileNamesFollowKafka() {
        #expect(CheckpointFileName.name(OffsetAndEpoch(offset: 1234, epoch: 7)) == "00000000000000001234-0000000007.checkpoint")
        #expect(CheckpointFileName.partialName(Self.id) == Self.name + ".part")
        #expect(CheckpointFileName.parse(Self.name)?.id == Self.id)
        #expect(CheckpointFileName.parse(Self.name + ".part")?.kind == .partial)
        #expect(CheckpointFileName.parse(Self.name + ".deleted")?.kind == .deleted)
        for junk in ["00000000000000000120-0000000004.log", "0000000000000000120-0000000004.checkpoint",
                     "00000000000000000120-000000004.checkpoint", "0000000000000000012x-0000000004.checkpoint",
                     "00000000000000000120_0000000004.checkpoint", "leader-epoch-checkpoint", "-0000000000000000120-000000004.checkpoint"] {
            #expect(CheckpointFileName.parse(junk) == nil, "\(junk)")
        }
        #expect(CheckpointDirectory.partitionDirectory(logDirectory: "/data") == "/data/__cluster_metadata-0")
    }

    @Test func roundTripInSeveralBatches() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let values = try Self.writeSnapshot(in: dir)
        let snapshot = try CheckpointReader.open(directory: dir.path, snapshotID: Self.id)
        #expect(snapshot.snapshotID == Self.id)
        #expect(snapshot.header == SnapshotHeaderRecord(version: 0, lastContainedLogTimestamp: 1_234))
        #expect(snapshot.values.map { Array($0.readableBytesView) } == values)
        #expect(snapshot.nextOffset == Int64(values.count) + 2)
        let batches = try Self.batches(try dir.bytes(Self.name))
        #expect(batches.count > 4)
        for (_, batch) in batches {
            #expect(batch.header.partitionLeaderEpoch == 4)
            #expect(batch.header.maxTimestamp == 5_678)
            #expect(batch.bytes.readableBytes <= 600)
        }
        #expect(batches.first!.batch.header.isControl && batches.last!.batch.header.isControl)
        #expect(batches.dropFirst().dropLast().allSatisfy { !$0.batch.header.isControl })
    }

    @Test func partialFileUntilFinishThenRenamed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let writer = try CheckpointWriter.create(directory: dir.path, snapshotID: Self.id, lastContainedLogTimestamp: 1, now: 2)
        try writer.append([[1, 2, 3]])
        #expect(try dir.names() == [Self.name + ".part"])
        #expect(try CheckpointDirectory.snapshots(in: dir.path).isEmpty)
        let path = try writer.finish()
        #expect(path == dir.file(Self.name))
        #expect(try dir.names() == [Self.name])
        #expect(try CheckpointDirectory.latest(in: dir.path) == Self.id)
        #expect(throws: CheckpointError.self) { try writer.append([[4]]) }
    }

    @Test func abandonDeletesThePartialFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let writer = try CheckpointWriter.create(directory: dir.path, snapshotID: Self.id, lastContainedLogTimestamp: 1, now: 2)
        try writer.append(Self.values(10))
        writer.abandon()
        #expect(try dir.names().isEmpty)
        #expect(throws: CheckpointError.self) { try writer.finish() }
    }

    @Test func corruptCRCIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        try Self.writeSnapshot(in: dir)
        var bytes = try dir.bytes(Self.name)
        let second = try Self.batches(bytes)[1].position
        bytes[second + 70] ^= 0x40 // inside the records, covered by the CRC
        try dir.write(bytes, to: Self.name)
        #expect {
            try CheckpointReader.open(directory: dir.path, snapshotID: Self.id)
        } throws: { error in
            guard case let .corrupt(_, position, reason)? = error as? CheckpointError else { return false }
            return position == Int64(second) && reason.lowercased().contains("crc")
        }
    }

    @Test func truncatedFileIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        try Self.writeSnapshot(in: dir)
        let bytes = try dir.bytes(Self.name)
        for cut in [1, 5, 40, 200] {
            try dir.write(Array(bytes.dropLast(cut)), to: Self.name)
            #expect(throws: CheckpointError.self, "cut \(cut)") { try CheckpointReader.open(directory: dir.path, snapshotID: Self.id) }
        }
        try dir.write(Array(bytes.dropLast(5)), to: Self.name)
        let last = try Self.batches(bytes).last!.position
        #expect(throws: CheckpointError.truncated(path: dir.file(Self.name), position: Int64(last))) {
            try CheckpointReader.open(directory: dir.path, snapshotID: Self.id)
        }
    }

    @Test func missingFooterOrHeaderIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        try Self.writeSnapshot(in: dir)
        let bytes = try dir.bytes(Self.name)
        let batches = try Self.batches(bytes)
        let path = dir.file(Self.name)
        // Without the footer batch: whole batches, nothing truncated, but no footer.
        try dir.write(Array(bytes[..<batches.last!.position]), to: Self.name)
        #expect(throws: CheckpointError.missingFooter(path: path)) { try CheckpointReader.open(path) }
        // A batch after the footer.
        try dir.write(bytes + Array(bytes[batches[1].position..<batches[2].position]), to: Self.name)
        #expect(throws: CheckpointError.missingFooter(path: path)) { try CheckpointReader.open(path) }
        // Without the header batch (the data batches then start at the wrong offset; rebase them).
        var headless = ByteBuffer(bytes: Array(bytes[batches[1].position...]))
        _ = try headless.assignRecordBatchOffsets(firstOffset: 0, partitionLeaderEpoch: 4)
        try dir.write(Array(headless.readableBytesView), to: Self.name)
        #expect(throws: CheckpointError.missingHeader(path: path)) { try CheckpointReader.open(path) }
        // Empty.
        try dir.write([], to: Self.name)
        #expect(throws: CheckpointError.missingHeader(path: path)) { try CheckpointReader.open(path) }
    }

    @Test func chunkedTransferReassemblesTheOriginal() throws {
        let source = try TemporaryDirectory()
        let target = try TemporaryDirectory()
        defer { source.cleanUp(); target.cleanUp() }
        let values = try Self.writeSnapshot(in: source, count: 80)
        let original = try source.bytes(Self.name)
        let reader = try CheckpointChunkReader(directory: source.path, snapshotID: Self.id)
        #expect(reader.size == Int64(original.count))
        // Chunks that end inside batches, received out of order.
        var chunks: [(Int64, ByteBuffer)] = []
        var position: Int64 = 0
        while position < reader.size {
            let chunk = try reader.read(position: position, maxBytes: 333)
            #expect(chunk.readableBytes > 0)
            chunks.append((position, chunk))
            position += Int64(chunk.readableBytes)
        }
        #expect(try reader.read(position: reader.size, maxBytes: 10).readableBytes == 0)
        var rng = SplitMix64(seed: 9)
        let writer = try CheckpointChunkWriter(directory: target.path, snapshotID: Self.id)
        for (at, chunk) in chunks.shuffled(using: &rng) { try writer.write(chunk, at: at) }
        #expect(try target.names() == [Self.name + ".part"])
        let received = try writer.finish(expectedSize: reader.size)
        #expect(try target.bytes(Self.name) == original)
        #expect(try target.names() == [Self.name])
        #expect(received.values.map { Array($0.readableBytesView) } == values)
    }

    @Test func receivedSnapshotsAreCheckedBeforeRename() throws {
        let source = try TemporaryDirectory()
        let target = try TemporaryDirectory()
        defer { source.cleanUp(); target.cleanUp() }
        try Self.writeSnapshot(in: source)
        var original = try source.bytes(Self.name)
        // Announced size differs: refused, nothing left behind.
        let short = try CheckpointChunkWriter(directory: target.path, snapshotID: Self.id)
        try short.write(ByteBuffer(bytes: original.dropLast(10)), at: 0)
        #expect(throws: CheckpointError.sizeMismatch(path: target.file(Self.name + ".part"), expected: Int64(original.count), actual: Int64(original.count - 10))) {
            try short.finish(expectedSize: Int64(original.count))
        }
        #expect(try target.names().isEmpty)
        // A damaged byte: refused, nothing left behind.
        original[100] ^= 1
        let damaged = try CheckpointChunkWriter(directory: target.path, snapshotID: Self.id)
        try damaged.write(ByteBuffer(bytes: original), at: 0)
        #expect(throws: CheckpointError.self) { try damaged.finish(expectedSize: Int64(original.count)) }
        #expect(try target.names().isEmpty)
    }

    @Test func listingDeletionAndLeftovers() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let ids = [OffsetAndEpoch(offset: 300, epoch: 5), OffsetAndEpoch(offset: 100, epoch: 2), OffsetAndEpoch(offset: 200, epoch: 5)]
        for id in ids { try Self.writeSnapshot(in: dir, id: id, count: 3) }
        try dir.write([1], to: CheckpointFileName.partialName(OffsetAndEpoch(offset: 400, epoch: 6)))
        try dir.write([1], to: CheckpointFileName.deletedName(OffsetAndEpoch(offset: 50, epoch: 1)))
        try dir.write([1], to: "00000000000000000000.log")
        #expect(try CheckpointDirectory.snapshots(in: dir.path) == ids.sorted())
        #expect(try CheckpointDirectory.latest(in: dir.path) == OffsetAndEpoch(offset: 300, epoch: 5))
        let deleted = try CheckpointDirectory.deleteSnapshots(before: OffsetAndEpoch(offset: 300, epoch: 5), in: dir.path)
        #expect(deleted == [OffsetAndEpoch(offset: 100, epoch: 2), OffsetAndEpoch(offset: 200, epoch: 5)])
        #expect(try CheckpointDirectory.snapshots(in: dir.path) == [OffsetAndEpoch(offset: 300, epoch: 5)])
        let removed = try CheckpointDirectory.removeLeftovers(in: dir.path)
        #expect(removed.count == 2)
        #expect(try dir.names() == ["00000000000000000000.log", "00000000000000000300-0000000005.checkpoint"])
    }

    @Test func smallCheckpointMatchesBytesBuiltByHand() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        let id = OffsetAndEpoch(offset: 3, epoch: 2)
        let writer = try CheckpointWriter.create(directory: dir.path, snapshotID: id, lastContainedLogTimestamp: 1_000, now: 2_000)
        try writer.append([[1, 2, 3], [4, 5]])
        try writer.finish()

        let headerValue: [UInt8] = [0, 0] + HandBatch.be(1_000, 8) + [0] // Version 0, LastContainedLogTimestamp, no tags
        let header = HandBatch.batch(baseOffset: 0, partitionLeaderEpoch: 2, attributes: 0x20, baseTimestamp: 2_000, maxTimestamp: 2_000,
                                     records: [HandBatch.record(offsetDelta: 0, key: HandBatch.controlKey(type: 3), value: headerValue)])
        let data = HandBatch.batch(baseOffset: 1, partitionLeaderEpoch: 2, attributes: 0, baseTimestamp: 2_000, maxTimestamp: 2_000,
                                   records: [HandBatch.record(offsetDelta: 0, key: nil, value: [1, 2, 3]),
                                             HandBatch.record(offsetDelta: 1, key: nil, value: [4, 5])])
        let footer = HandBatch.batch(baseOffset: 3, partitionLeaderEpoch: 2, attributes: 0x20, baseTimestamp: 2_000, maxTimestamp: 2_000,
                                     records: [HandBatch.record(offsetDelta: 0, key: HandBatch.controlKey(type: 4), value: [0, 0, 0])])
        #expect(try dir.bytes(CheckpointFileName.name(id)) == header + data + footer)
    }

    @Test func headerBatchCarriesExtraControlRecords() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanUp() }
        var kraft = KRaftVersionRecord()
        kraft.kRaftVersion = 1
        let writer = try CheckpointWriter.create(directory: dir.path, snapshotID: Self.id, lastContainedLogTimestamp: 9, now: 10,
                                                 controlRecords: [.kraftVersion(kraft)])
        try writer.append([[7]])
        try writer.finish()
        let snapshot = try CheckpointReader.open(directory: dir.path, snapshotID: Self.id)
        #expect(snapshot.controlRecords == [.kraftVersion(kraft)])
        #expect(snapshot.values.map { Array($0.readableBytesView) } == [[7]])
        #expect(snapshot.nextOffset == 4)
    }
}

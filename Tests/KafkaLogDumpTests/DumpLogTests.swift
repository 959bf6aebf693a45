import KafkaGroups
import KafkaLog
import KafkaLogDump
import KafkaProtocol
import KafkaRecords
import NIOCore
import Testing

/// `strom dump-log`'s output, line for line, for segments, indexes and checkpoint files built here with
/// KafkaRecords' and KafkaLog's own writers.
@Suite struct DumpLogTests {
    /// The segment bytes of `batches`, back to back, and each batch's position.
    func segment(_ builders: [RecordBatchBuilder]) throws -> (bytes: [UInt8], batches: [RecordBatch]) {
        var bytes: [UInt8] = []
        var batches: [RecordBatch] = []
        for builder in builders {
            let batch = try builder.build()
            batches.append(batch)
            bytes += batch.bytes.getBytes(at: batch.bytes.readerIndex, length: batch.bytes.readableBytes)!
        }
        return (bytes, batches)
    }

    func idempotentBatch() -> RecordBatchBuilder {
        var b = RecordBatchBuilder(baseOffset: 0, partitionLeaderEpoch: 3, producerId: 7, producerEpoch: 1, baseSequence: 10)
        b.append(timestamp: 1_000, key: Array("k1".utf8), value: Array("hello".utf8), headers: [RecordHeader(key: "h", value: [1])])
        b.append(timestamp: 1_005, key: Array("k2".utf8), value: Array("world!".utf8))
        return b
    }

    func plainBatch() -> RecordBatchBuilder {
        var b = RecordBatchBuilder(baseOffset: 2, partitionLeaderEpoch: 4)
        b.append(timestamp: 2_000, key: nil, value: Array("v".utf8), headers: [RecordHeader(key: "a", value: nil), RecordHeader(key: "b", value: [])])
        return b
    }

    @Test func segmentPrintsKafkasBatchLinesAndRecordLinesWithData() throws {
        let (bytes, batches) = try segment([idempotentBatch(), plainBatch()])
        let first = batches[0].header.totalSize
        let out = DumpLog.dump(fileName: "00000000000000000000.log", bytes: bytes, options: .init(printDataLog: true))
        #expect(out.errors == [])
        #expect(out.lines == [
            "Log starting offset: 0",
            "baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 10 lastSequence: 11 producerId: 7 producerEpoch: 1 partitionLeaderEpoch: 3 "
                + "isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1005 size: \(first) "
                + "magic: 2 compresscodec: none crc: \(batches[0].header.crc) isvalid: true",
            "| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 5 sequence: 10 headerKeys: [h] key: k1 payload: hello",
            "| offset: 1 CreateTime: 1005 keySize: 2 valueSize: 6 sequence: 11 headerKeys: [] key: k2 payload: world!",
            "baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 4 "
                + "isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: \(first) CreateTime: 2000 "
                + "size: \(batches[1].header.totalSize) magic: 2 compresscodec: none crc: \(batches[1].header.crc) isvalid: true",
            "| offset: 2 CreateTime: 2000 keySize: -1 valueSize: 1 sequence: -1 headerKeys: [a,b] payload: v",
        ])
    }

    @Test func withoutOptionsOnlyBatchLinesAndDeepIterationOmitsData() throws {
        let (bytes, _) = try segment([idempotentBatch(), plainBatch()])
        let shallow = DumpLog.dump(fileName: "00000000000000000000.log", bytes: bytes)
        #expect(shallow.lines.count == 3)
        #expect(shallow.lines.dropFirst().allSatisfy { $0.hasPrefix("baseOffset: ") })
        let deep = DumpLog.dump(fileName: "00000000000000000000.log", bytes: bytes, options: .init(deepIteration: true))
        #expect(deep.lines[2] == "| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 5 sequence: 10 headerKeys: [h]")
    }

    @Test func aCorruptedBatchIsInvalidAndAPartialTailIsCounted() throws {
        var (bytes, batches) = try segment([idempotentBatch(), plainBatch()])
        bytes[batches[0].header.totalSize - 1] ^= 0xFF  // the last value byte of the first batch, inside its CRC
        let partial = try plainBatch().build()
        bytes += partial.bytes.getBytes(at: partial.bytes.readerIndex, length: 20)!
        let out = DumpLog.dump(fileName: "00000000000000000000.log", bytes: bytes)
        #expect(out.lines[1].hasSuffix("crc: \(batches[0].header.crc) isvalid: false"))
        #expect(out.lines[2].hasSuffix("isvalid: true"))
        #expect(out.lines.last == "Found 20 invalid bytes at the end of 00000000000000000000.log")
    }

    @Test func sequencesWrapPastInt32MaxAndCompressedBatchesAreRead() throws {
        var b = RecordBatchBuilder(baseOffset: 100, partitionLeaderEpoch: 0, compression: .lz4, producerId: 1, producerEpoch: 0, baseSequence: Int32.max)
        b.append(timestamp: 5, key: nil, value: Array("a".utf8))
        b.append(timestamp: 6, key: nil, value: Array("b".utf8))
        let (bytes, _) = try segment([b])
        let out = DumpLog.dump(fileName: "00000000000000000100.log", bytes: bytes, options: .init(printDataLog: true))
        #expect(out.lines[0] == "Log starting offset: 100")
        #expect(out.lines[1].contains("baseSequence: 2147483647 lastSequence: 0 "))
        #expect(out.lines[1].contains(" compresscodec: lz4 "))
        #expect(out.lines[2] == "| offset: 100 CreateTime: 5 keySize: -1 valueSize: 1 sequence: 2147483647 headerKeys: [] payload: a")
        #expect(out.lines[3] == "| offset: 101 CreateTime: 6 keySize: -1 valueSize: 1 sequence: 0 headerKeys: [] payload: b")
    }

    @Test func controlBatchesShowTheirMarkersAndLogAppendTime() throws {
        var b = RecordBatchBuilder(baseOffset: 9, partitionLeaderEpoch: 2, timestampType: .logAppendTime, logAppendTime: 77,
                                   producerId: 5, producerEpoch: 3, isTransactional: true, isControl: true)
        b.append(.commit(coordinatorEpoch: 12), timestamp: 70)
        let (bytes, _) = try segment([b])
        let out = DumpLog.dump(fileName: "00000000000000000009.log", bytes: bytes, options: .init(printDataLog: true))
        #expect(out.lines[1].contains("isTransactional: true isControl: true "))
        #expect(out.lines[1].contains(" LogAppendTime: 77 "))
        #expect(out.lines[2] == "| offset: 9 LogAppendTime: 77 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 12")
    }

    @Test func nonConsecutiveOffsetsAreReportedOnStandardError() throws {
        var a = RecordBatchBuilder(baseOffset: 0)
        a.append(timestamp: 1, key: nil, value: [1])
        var b = RecordBatchBuilder(baseOffset: 5)
        b.append(timestamp: 1, key: nil, value: [2])
        let (bytes, _) = try segment([a, b])
        let out = DumpLog.dump(fileName: "00000000000000000000.log", bytes: bytes, options: .init(deepIteration: true))
        #expect(out.errors == ["Non-consecutive offsets in 00000000000000000000.log", "  0 is followed by 5"])
    }

    @Test func offsetsDecoderPrintsCommitsAsJSONAndTombstonesAsDelete() throws {
        var b = RecordBatchBuilder(baseOffset: 0)
        let commit = CoordinatorRecord.offsetCommit(group: "g\"1", topic: "t", partition: 2,
                                                    OffsetAndMetadata(offset: 42, leaderEpoch: 5, metadata: "m", commitTimestamp: 1234))
        let tombstone = CoordinatorRecord.offsetCommit(group: "g", topic: "t", partition: 0, nil)
        let group = CoordinatorRecord.groupMetadata(group: "g", GroupMetadataValue(
            protocolType: "consumer", generation: 3, protocol: "range", leader: "m-1", currentStateTimestamp: 99,
            members: [.init(memberID: "m-1", groupInstanceID: nil, clientID: "c", clientHost: "/127.0.0.1", rebalanceTimeout: 300,
                            sessionTimeout: 10, subscription: [0, 1, 2], assignment: [])]))
        for r in [commit, tombstone, group] { b.append(timestamp: 1, key: r.key, value: r.value) }
        let (bytes, _) = try segment([b])
        let out = DumpLog.dump(fileName: "00000000000000000000.log", bytes: bytes, options: .init(offsetsDecoder: true))
        #expect(out.lines[2].hasSuffix(#" key: {"type":"1","data":{"group":"g\"1","topic":"t","partition":2}} payload: {"version":"3","data":{"offset":42,"leaderEpoch":5,"metadata":"m","commitTimestamp":1234}}"#))
        #expect(out.lines[3].hasSuffix(#" key: {"type":"1","data":{"group":"g","topic":"t","partition":0}} payload: <DELETE>"#))
        #expect(out.lines[4].hasSuffix(#" key: {"type":"2","data":{"group":"g"}} payload: {"version":"3","data":{"protocolType":"consumer","generation":3,"protocol":"range","leader":"m-1","currentStateTimestamp":99,"members":[{"memberId":"m-1","groupInstanceId":null,"clientId":"c","clientHost":"/127.0.0.1","rebalanceTimeout":300,"sessionTimeout":10,"subscription":"AAEC","assignment":""}]}}"#))
    }

    @Test func offsetIndexEntriesAreCheckedAgainstTheSegment() throws {
        var a = RecordBatchBuilder(baseOffset: 10)
        a.append(timestamp: 1, key: nil, value: [1])
        a.append(timestamp: 2, key: nil, value: [2])
        var b = RecordBatchBuilder(baseOffset: 12)
        b.append(timestamp: 3, key: nil, value: [3])
        let (bytes, batches) = try segment([a, b])
        var index = OffsetIndex(baseOffset: 10, maxEntries: 10)
        let first = index.append(offset: 11, position: 0)
        let second = index.append(offset: 12, position: Int64(batches[0].header.totalSize))
        #expect(first && second)
        let out = DumpLog.dump(fileName: "00000000000000000010.index", bytes: index.encoded(), segment: bytes)
        #expect(out.lines == ["offset: 11 position: 0", "offset: 12 position: \(batches[0].header.totalSize)"])
        #expect(out.errors == [])

        var wrong = OffsetIndex(baseOffset: 10, maxEntries: 10)
        let appended = wrong.append(offset: 10, position: 0)  // the batch at 0 ends at 11, not 10
        #expect(appended)
        let mismatch = DumpLog.dump(fileName: "00000000000000000010.index", bytes: wrong.encoded(), segment: bytes)
        #expect(mismatch.errors == ["Mismatches in :00000000000000000010.index", "  Index offset: 10, log offset: 11"])
        #expect(DumpLog.dump(fileName: "00000000000000000010.index", bytes: []).lines == ["00000000000000000010.index is empty."])
    }

    @Test func timeIndexEntriesAreCheckedAgainstTheSegment() throws {
        var a = RecordBatchBuilder(baseOffset: 0)
        a.append(timestamp: 50, key: nil, value: [1])
        a.append(timestamp: 40, key: nil, value: [2])
        let (bytes, _) = try segment([a])
        var index = TimeIndex(baseOffset: 0, maxEntries: 10)
        let appended = index.maybeAppend(timestamp: 50, offset: 1)
        #expect(appended)
        let out = DumpLog.dump(fileName: "00000000000000000000.timeindex", bytes: index.encoded(), segment: bytes)
        #expect(out.lines == ["timestamp: 50 offset: 1"])
        #expect(out.errors == [])
        var off = TimeIndex(baseOffset: 0, maxEntries: 10)
        let appendedOff = off.maybeAppend(timestamp: 60, offset: 1)
        #expect(appendedOff)
        #expect(DumpLog.dump(fileName: "00000000000000000000.timeindex", bytes: off.encoded(), segment: bytes).errors.count == 1)
    }

    @Test func producerSnapshotsAndTransactionIndexesPrintAsKafkaPrintsThem() throws {
        var state = ProducerStateManager()
        state.update(ProducerBatch(producerId: 5, producerEpoch: 3, firstSequence: 10, lastSequence: 12, firstOffset: 40, lastOffset: 42,
                                   timestamp: 77, isTransactional: true))
        state.apply(TransactionMarker(producerId: 8, producerEpoch: 2, coordinatorEpoch: 4, isAbort: true, offset: 43, timestamp: 90))
        #expect(DumpLog.dump(fileName: "00000000000000000044.snapshot", bytes: ProducerStateSnapshot.encode(state)).lines == [
            "producerId: 5 producerEpoch: 3 coordinatorEpoch: -1 currentTxnFirstOffset: OptionalLong[40] lastTimestamp: 77 "
                + "firstSequence: 10 lastSequence: 12 lastOffset: 42 offsetDelta: 2 timestamp: 77",
            "producerId: 8 producerEpoch: 2 coordinatorEpoch: 4 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: 90 ",
        ])
        #expect(DumpLog.dump(fileName: "00000000000000000044.snapshot", bytes: [0, 1, 0, 0]).errors.count == 1)
        let index = TransactionIndex.encode([AbortedTransaction(producerId: 5, firstOffset: 40, lastOffset: 50, lastStableOffset: 45)])
        #expect(DumpLog.dump(fileName: "00000000000000000000.txnindex", bytes: index).lines == [
            "version: 0 producerId: 5 firstOffset: 40 lastOffset: 50 lastStableOffset: 45",
        ])
    }

    @Test func checkpointFilesListTheirEntries() {
        let epochs = LeaderEpochCache(entries: [.init(epoch: 0, startOffset: 0), .init(epoch: 4, startOffset: 120)])
        #expect(DumpLog.dump(fileName: "leader-epoch-checkpoint", bytes: epochs.encoded()).lines == [
            "version: 0 entries: 2", "epoch: 0 startOffset: 0", "epoch: 4 startOffset: 120",
        ])
        let hw = OffsetCheckpoint(entries: [.init(topic: "t", partition: 0, offset: 7), .init(topic: "__consumer_offsets", partition: 12, offset: 0)])
        for name in ["replication-offset-checkpoint", "recovery-point-offset-checkpoint", "log-start-offset-checkpoint", "cleaner-offset-checkpoint"] {
            #expect(DumpLog.dump(fileName: name, bytes: hw.encoded()).lines == [
                "version: 0 entries: 2", "topic: t partition: 0 offset: 7", "topic: __consumer_offsets partition: 12 offset: 0",
            ])
        }
        #expect(DumpLog.dump(fileName: "leader-epoch-checkpoint", bytes: Array("1\n0\n".utf8)).errors == ["leader-epoch-checkpoint is not a valid leader epoch checkpoint"])
        #expect(DumpLog.dump(fileName: "meta.properties", bytes: []).errors == ["Ignoring unknown file meta.properties"])
    }
}

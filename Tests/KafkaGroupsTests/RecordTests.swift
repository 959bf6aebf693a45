import KafkaGroups
import KafkaProtocol
import Testing

/// `__consumer_offsets` record formats and the group-to-partition hash.
@Suite struct RecordTests {
    /// Java's `String.hashCode` straight from its definition: s[0]*31^(n-1) + ... + s[n-1] over UTF-16
    /// code units, in 32-bit two's complement.
    static func javaHashByDefinition(_ s: String) -> Int32 {
        let units = Array(s.utf16)
        var sum: Int64 = 0
        for (i, u) in units.enumerated() {
            var power: Int64 = 1
            for _ in 0..<(units.count - 1 - i) { power = (power &* 31) & 0xFFFF_FFFF }
            sum = (sum &+ Int64(u) &* power) & 0xFFFF_FFFF
        }
        return Int32(truncatingIfNeeded: sum)
    }

    @Test func javaStringHashCode() {
        // Values known independently of this code: "hello".hashCode() is 99162322; "Aa" and "BB" are
        // Java's textbook collision (2112); "polygenelubricants" hashes to Integer.MIN_VALUE.
        #expect(CoordinatorPartitioner.javaStringHashCode("hello") == 99_162_322)
        #expect(CoordinatorPartitioner.javaStringHashCode("Aa") == 2112 && CoordinatorPartitioner.javaStringHashCode("BB") == 2112)
        #expect(CoordinatorPartitioner.javaStringHashCode("polygenelubricants") == .min)
        #expect(CoordinatorPartitioner.javaStringHashCode("") == 0)
        for s in ["my-group", "console-consumer-12345", "connect-cluster", "orders", "€uro-😀", "g"] {
            #expect(CoordinatorPartitioner.javaStringHashCode(s) == Self.javaHashByDefinition(s), "\(s)")
        }
        #expect(CoordinatorPartitioner.javaStringHashCode("my-group") == -1_906_497_762)
    }

    /// `Utils.abs(hash) % partitions`, where Utils.abs maps Int.MIN_VALUE to 0 and is Math.abs otherwise.
    @Test func partitionForGroup() {
        #expect(CoordinatorPartitioner.partition(for: "my-group", partitionCount: 50) == 12)  // 1906497762 % 50
        #expect(CoordinatorPartitioner.partition(for: "orders", partitionCount: 50) == 31)     // 1008770331 % 50
        #expect(CoordinatorPartitioner.partition(for: "hello", partitionCount: 50) == 22)
        #expect(CoordinatorPartitioner.partition(for: "polygenelubricants", partitionCount: 50) == 0)
        #expect(CoordinatorPartitioner.partition(for: "g", partitionCount: 50) == 3)            // 'g' = 103
        #expect(CoordinatorPartitioner.partition(for: "€uro-😀", partitionCount: 7) == 542_348_106 % 7)
    }

    @Test func offsetCommitRecordBytes() throws {
        let record = CoordinatorRecord.offsetCommit(
            group: "g", topic: "t", partition: 2,
            OffsetAndMetadata(offset: 5, leaderEpoch: 1, metadata: "m", commitTimestamp: 9))
        #expect(record.key == [0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 2])
        #expect(record.value == [0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1, 0, 1, 0x6D, 0, 0, 0, 0, 0, 0, 0, 9])
        let expiring = CoordinatorRecord.offsetCommit(
            group: "g", topic: "t", partition: 2,
            OffsetAndMetadata(offset: 5, leaderEpoch: 1, metadata: "", commitTimestamp: 9, expireTimestamp: 10))
        // Value v1: offset, metadata, commit timestamp, expire timestamp (no leader epoch).
        #expect(expiring.value == [0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 10])
        #expect(try record.decode() == .offsetCommit(
            OffsetCommitKey(group: "g", topic: "t", partition: 2),
            OffsetCommitValue(offset: 5, leaderEpoch: 1, metadata: "m", commitTimestamp: 9)))
        let tombstone = CoordinatorRecord.offsetCommit(group: "g", topic: "t", partition: 2, nil)
        #expect(tombstone.key == record.key && tombstone.value == nil)
        #expect(try tombstone.decode() == .offsetCommit(OffsetCommitKey(group: "g", topic: "t", partition: 2), nil))
    }

    @Test func groupMetadataRecordBytes() throws {
        let value = GroupMetadataValue(
            protocolType: "consumer", generation: 3, protocol: "range", leader: "m1", currentStateTimestamp: 77,
            members: [.init(memberID: "m1", groupInstanceID: "i1", clientID: "c", clientHost: "/h",
                            rebalanceTimeout: 30_000, sessionTimeout: 10_000, subscription: [1], assignment: [2])])
        let record = CoordinatorRecord.groupMetadata(group: "g", value)
        #expect(record.key == [0, 2, 0, 1, 0x67])
        #expect(record.value?.prefix(2) == [0, 3])
        #expect(try record.decode() == .groupMetadata(GroupMetadataKey(group: "g"), value))
        #expect(try CoordinatorRecord.groupMetadata(group: "g", nil).decode() == .groupMetadata(GroupMetadataKey(group: "g"), nil))
        // Key versions 3-8 are consumer group records; beyond them, share groups' (skipped).
        #expect(try CoordinatorRecord(key: [0, 3, 0, 1, 0x67], value: [0, 0, 0, 0, 0, 7, 0]).decode() == .consumerGroup(.metadata(group: "g", ConsumerGroupMetadataValue(epoch: 7))))
        #expect(try CoordinatorRecord(key: [0, 11, 0, 1, 0x67], value: [0, 0]).decode() == .unknown(keyVersion: 11))
    }

    /// Older value versions still load: OffsetCommitValue v0 and GroupMetadataValue v0.
    @Test func olderValueVersionsLoad() throws {
        var c = GroupCoordinator(seed: 0)
        let v0 = [0, 0] + [0, 0, 0, 0, 0, 0, 0, 42] + [0, 0] + [0, 0, 0, 0, 0, 0, 0, 5] as [UInt8]
        try c.replay(CoordinatorRecord(key: [0, 0, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 0], value: v0))
        #expect(c.offsets["g"]?.offset(topic: "t", partition: 0) == OffsetAndMetadata(offset: 42, commitTimestamp: 5))
        var buffer = ByteBufferBox()
        try GroupMetadataValue(protocolType: "consumer", generation: 4, protocol: "range", leader: "m",
                               members: [.init(memberID: "m", clientID: "c", clientHost: "/h", sessionTimeout: 6_000)])
            .encode(to: &buffer.buffer, version: 0)
        try c.replay(CoordinatorRecord(key: [0, 2, 0, 1, 0x67], value: [0, 0] + buffer.bytes))
        let g = try #require(c.groups["g"])
        #expect(g.state == .stable && g.generationID == 4 && g.member("m")?.rebalanceTimeoutMs == 6_000)
        #expect(c.offsets["g"]?.count == 1)
    }
}

import NIOCore

struct ByteBufferBox {
    var buffer = ByteBuffer()
    var bytes: [UInt8] { Array(buffer.readableBytesView) }
}

import KafkaMetadata
import KafkaProtocol
import Testing

/// AccessControlEntryRecords replay into `MetadataImage.acls` by id, RemoveAccessControlEntryRecord takes
/// them out (an unknown id is a replay error: the log is not Kafka's), and a snapshot gives them back.
struct AclReplayTests {
    static func acl(_ n: UInt64, name: String = "orders") -> AccessControlEntryRecord {
        AccessControlEntryRecord(id: KafkaUUID(mostSignificantBits: n, leastSignificantBits: n), resourceType: 2, resourceName: name,
                                 patternType: 3, principal: "User:alice", host: "*", operation: 3, permissionType: 3)
    }

    @Test func addRemoveAndSnapshot() throws {
        var delta = MetadataDelta(base: .empty)
        try delta.replay(Self.acl(1))
        try delta.replay(Self.acl(2, name: "payments"))
        try delta.replay(RemoveAccessControlEntryRecord(id: Self.acl(1).id))
        let image = delta.apply(provenance: .init(offset: 3, epoch: 1))
        #expect(image.acls == [Self.acl(2).id: Self.acl(2, name: "payments")])
        #expect(throws: MetadataReplayError.self) { try delta.replay(RemoveAccessControlEntryRecord(id: Self.acl(9).id)) }
        var reloaded = MetadataDelta(base: .empty)
        for r in image.snapshotRecords() { try reloaded.replay(r.record) }
        #expect(reloaded.current.acls == image.acls)
    }
}

import KafkaProtocol

/// The version a partition record is written in: the lowest that holds every field it sets, as an
/// encoder drops the fields its version lacks. PartitionRecord and PartitionChangeRecord alike: v1 adds
/// Directories, v2 KIP-966's EligibleLeaderReplicas and LastKnownElr.
extension PartitionChangeRecord {
    public var lowestVersion: Int16 {
        if eligibleLeaderReplicas != nil || lastKnownElr != nil { return 2 }
        return directories != nil ? 1 : 0
    }
}

extension PartitionRecord {
    public var lowestVersion: Int16 {
        if eligibleLeaderReplicas != nil || lastKnownElr != nil { return 2 }
        return directories.isEmpty ? 0 : 1
    }
}

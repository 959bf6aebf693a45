import KafkaMetadata
import KafkaProtocol

/// ElectLeaders: preferred (type 0, the only one before v1) or unclean (type 1) elections for the
/// partitions named, or for every partition when the list is null, as Kafka's
/// `ReplicationControlManager.electLeaders` decides them. Pure.
///
/// Per partition: UNKNOWN_TOPIC_OR_PARTITION; ELECTION_NOT_NEEDED when the preferred replica already
/// leads (preferred) or the partition has a leader (unclean); PREFERRED_LEADER_NOT_AVAILABLE or
/// ELIGIBLE_LEADERS_NOT_AVAILABLE when the election changes nothing; else a PartitionChangeRecord and no
/// error. With a null list the partitions that need no election are left out of the answer. An unknown
/// election type fails the whole request with INVALID_REQUEST. A partition named twice is elected once
/// (the second time it needs no election).
public enum ElectLeaders {
    public static func elect(_ request: ElectLeadersRequest, version: Int16, image: MetadataImage) -> ControllerResult<ElectLeadersResponse> {
        var response = ElectLeadersResponse()
        let type = version >= 1 ? request.electionType : 0
        let election: PartitionChangeBuilder.Election
        switch type {
        case 0: election = .preferred
        case 1: election = .unclean
        default:
            let message = "Unknown election type \(type)"
            response.errorCode = ErrorCode.invalidRequest.rawValue
            response.replicaElectionResults = (request.topicPartitions ?? []).map { t in
                .init(topic: t.topic, partitionResult: t.partitions.map {
                    .init(partitionID: $0, errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: message)
                })
            }
            return ControllerResult(response: response)
        }
        var working = MetadataDelta(base: image)
        var records: [MetadataRecordAndVersion] = []
        func run(_ topic: String, _ partition: Int32) -> (ErrorCode, String?) {
            let (code, message, change) = electLeader(topic: topic, partition: partition, election: election, image: working.current)
            if let change {
                try? working.replay(change)
                records.append(MetadataRecordAndVersion(change, version: change.lowestVersion))
            }
            return (code, message)
        }
        if let wanted = request.topicPartitions {
            for t in wanted {
                response.replicaElectionResults.append(.init(topic: t.topic, partitionResult: t.partitions.map { p in
                    let (code, message) = run(t.topic, p)
                    return .init(partitionID: p, errorCode: code.rawValue, errorMessage: message)
                }))
            }
        } else {
            for name in image.topicNames {
                let results: [ElectLeadersResponse.ReplicaElectionResult.PartitionResult] = image.topic(named: name)!.partitionIndexes.compactMap { p in
                    let (code, message) = run(name, p)
                    return code == .electionNotNeeded ? nil : .init(partitionID: p, errorCode: code.rawValue, errorMessage: message)
                }
                response.replicaElectionResults.append(.init(topic: name, partitionResult: results))
            }
        }
        return ControllerResult(records: records, response: response)
    }

    /// One partition's election: the error and message to answer, and the change when there is one.
    static func electLeader(topic: String, partition: Int32, election: PartitionChangeBuilder.Election,
                            image: MetadataImage) -> (ErrorCode, String?, PartitionChangeRecord?) {
        guard let t = image.topic(named: topic) else {
            return (.unknownTopicOrPartition, "No such topic as \(topic)", nil)
        }
        guard let registration = t.partitions[partition] else {
            return (.unknownTopicOrPartition, "No such partition as \(topic)-\(partition)", nil)
        }
        if (election == .preferred && registration.hasPreferredLeader) || (election == .unclean && registration.hasLeader) {
            return (.electionNotNeeded, "Leader election not needed for topic partition.", nil)
        }
        var builder = PartitionChangeBuilder(partition: registration, topicID: t.id, partitionID: partition,
                                             isAcceptableLeader: image.isAcceptableLeader)
        builder.election = election
        // The ISR stays (or an unclean election replaces it): the ELR is used, not recomputed.
        builder.eligibleLeaderReplicasEnabled = EligibleLeaderReplicas.isEnabled(image)
        guard let change = builder.build() else {
            return election == .preferred
                ? (.preferredLeaderNotAvailable, "The preferred leader was not available.", nil)
                : (.eligibleLeadersNotAvailable, "Eligible topic partition leaders are not available.", nil)
        }
        return (.noError, nil, change)
    }

    /// Unclean elections for the leaderless partitions of topics that allow them (Kafka's controller
    /// runs these every 5 minutes while partitions are leaderless), at most `maxElections`.
    public static func uncleanElectionsForLeaderless(image: MetadataImage, unclean: UncleanLeaderElection,
                                                     maxElections: Int = LeaderRebalance.maxElections) -> [MetadataRecordAndVersion] {
        var records: [MetadataRecordAndVersion] = []
        for name in image.topicNames where unclean.isEnabled(topic: name, image: image) {
            let topic = image.topic(named: name)!
            for p in topic.partitionIndexes where !topic.partitions[p]!.hasLeader {
                guard records.count < maxElections else { return records }
                if case let (_, _, change?) = electLeader(topic: name, partition: p, election: .unclean, image: image) {
                    records.append(MetadataRecordAndVersion(change, version: change.lowestVersion))
                }
            }
        }
        return records
    }
}

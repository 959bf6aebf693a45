import KafkaMetadata
import KafkaProtocol
import StromConfig

/// DescribeQuorum for `__cluster_metadata-0`, on both listeners: the quorum leader answers from its view
/// of every replica (leader, epoch, high watermark, each voter's and observer's log end offset; v2 adds
/// the voters' endpoints and directory ids); another node asks the leader, as a Kafka broker forwards
/// DescribeQuorum to the controller. Any other partition is UNKNOWN_TOPIC_OR_PARTITION.
struct DescribeQuorumHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let metadata: MetadataService
    let quorum: QuorumDriver
    let config: ServerConfig

    /// The leader answers from its view of every replica; another node asks the leader (as a Kafka
    /// broker forwards DescribeQuorum to the controller).
    func handle(_ request: DescribeQuorumRequest, context: RequestContext) async -> DescribeQuorumResponse? {
        guard context.authorizeCluster(.describe) else {
            return DescribeQuorumResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue,
                                          errorMessage: AuthorizationFailure.message(for: .cluster))
        }
        let onlyMetadata = request.topics.allSatisfy { t in
            t.topicName == "__cluster_metadata" && t.partitions.allSatisfy { $0.partitionIndex == 0 }
        }
        if onlyMetadata && !metadata.quorumStatus.isLeader {
            let quorum = self.quorum
            let forwarded = await metadata.controllerCall(request, version: context.apiVersion, timeoutMs: 5_000,
                                                          local: { await Self.answer(request, quorum: quorum, config: self.config, version: context.apiVersion) },
                                                          notController: { r in r.topics.contains { $0.partitions.contains { $0.errorCode == ErrorCode.notLeaderOrFollower.rawValue } } })
            if let forwarded { return forwarded }
        }
        return await Self.answer(request, quorum: quorum, config: config, version: context.apiVersion)
    }

    static func answer(_ request: DescribeQuorumRequest, quorum: QuorumDriver, config: ServerConfig, version: Int16) async -> DescribeQuorumResponse {
        var response = DescribeQuorumResponse()
        let view = await quorum.describeQuorum()
        for topic in request.topics {
            var t = DescribeQuorumResponse.TopicData(topicName: topic.topicName)
            for p in topic.partitions {
                var data = DescribeQuorumResponse.TopicData.PartitionData(partitionIndex: p.partitionIndex)
                if topic.topicName != "__cluster_metadata" || p.partitionIndex != 0 {
                    data.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    data.errorMessage = "Only __cluster_metadata-0 has a quorum"
                } else {
                    data.errorCode = view.errorCode.rawValue
                    data.leaderID = view.leaderID
                    data.leaderEpoch = view.leaderEpoch
                    data.highWatermark = view.highWatermark
                    data.currentVoters = view.currentVoters.map {
                        .init(replicaID: $0.replicaID, logEndOffset: $0.logEndOffset, lastFetchTimestamp: $0.lastFetchTimestamp,
                              lastCaughtUpTimestamp: $0.lastCaughtUpTimestamp)
                    }
                    data.observers = view.observers.map {
                        .init(replicaID: $0.replicaID, logEndOffset: $0.logEndOffset, lastFetchTimestamp: $0.lastFetchTimestamp,
                              lastCaughtUpTimestamp: $0.lastCaughtUpTimestamp)
                    }
                }
                t.partitions.append(data)
            }
            response.topics.append(t)
        }
        if version >= 2 {
            // Each voter's endpoints as the voter set records them (controller.quorum.voters, or the
            // latest VotersRecord once voters changed).
            response.nodes = await quorum.voterSet.voterList.map { voter in
                .init(nodeID: voter.voterID, listeners: voter.endpoints.map { .init(name: $0.name, host: $0.host, port: $0.port) })
            }
            let directories = await Dictionary(quorum.voterSet.voterList.map { ($0.voterID, $0.voterDirectoryID) }, uniquingKeysWith: { a, _ in a })
            for t in response.topics.indices {
                for p in response.topics[t].partitions.indices {
                    for v in response.topics[t].partitions[p].currentVoters.indices {
                        let id = response.topics[t].partitions[p].currentVoters[v].replicaID
                        if let d = directories[id] {
                            response.topics[t].partitions[p].currentVoters[v].replicaDirectoryID =
                                KafkaUUID(mostSignificantBits: d.mostSignificantBits, leastSignificantBits: d.leastSignificantBits)
                        }
                    }
                }
            }
        }
        return response
    }
}

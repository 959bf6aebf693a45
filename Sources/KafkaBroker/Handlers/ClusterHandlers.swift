import KafkaMetadata
import KafkaProtocol
import StromConfig

/// DescribeCluster (v0-1): the cluster id, the controller, and the brokers on this listener.
/// Asking a broker listener for controller endpoints (v1 endpoint type 2) is
/// MISMATCHED_ENDPOINT_TYPE, as in Kafka; unknown endpoint types are UNSUPPORTED_ENDPOINT_TYPE.
struct DescribeClusterHandler: RequestHandler {
    let metadata: MetadataService
    let config: ServerConfig

    func handle(_ request: DescribeClusterRequest, context: RequestContext) async -> DescribeClusterResponse? {
        var response = DescribeClusterResponse(clusterID: metadata.clusterID, controllerID: metadata.controllerIDForClients)
        response.endpointType = request.endpointType
        switch request.endpointType {
        case 1: break
        case 2:
            response.errorCode = ErrorCode.mismatchedEndpointType.rawValue
            response.errorMessage = "The request was sent to a broker listener but asked for controller endpoints"
            return response
        default:
            response.errorCode = ErrorCode.unsupportedEndpointType.rawValue
            response.errorMessage = "Unknown endpoint type \(request.endpointType)"
            return response
        }
        response.brokers = metadata.image.activeBrokers.compactMap { b in
            guard let e = b.endpoint(named: context.listenerName) ?? b.endpoints.first else { return nil }
            return .init(brokerID: b.id, host: e.host, port: Int32(e.port), rack: b.rack)
        }
        if request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = AuthorizedOperations.cluster
        }
        return response
    }
}

/// DescribeQuorum (v0-2) for `__cluster_metadata-0`: this node is the only voter and the leader;
/// its log end offset is the high watermark (a single voter commits what it writes).
struct DescribeQuorumHandler: RequestHandler {
    let metadata: MetadataService
    let quorum: QuorumDriver
    let config: ServerConfig

    /// The leader answers from its view of every replica; another node asks the leader (as a Kafka
    /// broker forwards DescribeQuorum to the controller).
    func handle(_ request: DescribeQuorumRequest, context: RequestContext) async -> DescribeQuorumResponse? {
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

/// InitProducerId (v0-5) for idempotent producers: a fresh producer id at epoch 0 from this
/// broker's block. Transactional ids are refused: Strom does not offer transactions yet (and does
/// not advertise their APIs).
struct InitProducerIDHandler: RequestHandler {
    let metadata: MetadataService

    func handle(_ request: InitProducerIdRequest, context: RequestContext) async -> InitProducerIdResponse? {
        if request.transactionalID != nil {
            return InitProducerIdResponse(errorCode: ErrorCode.transactionalIDAuthorizationFailed.rawValue, producerID: -1, producerEpoch: -1)
        }
        do {
            let id = try await metadata.nextProducerID()
            return InitProducerIdResponse(errorCode: 0, producerID: id, producerEpoch: 0)
        } catch {
            context.logger.error("could not reserve producer ids", metadata: ["error": "\(error)"])
            return InitProducerIdResponse(errorCode: ErrorCode.kafkaStorageError.rawValue, producerID: -1, producerEpoch: -1)
        }
    }
}

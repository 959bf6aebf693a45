import KafkaProtocol

/// WriteTxnMarkers, from transaction coordinators to partition leaders: see
/// ``TransactionMarkerWriter`` for what each partition gets; answered within `request.timeout.ms`
/// (Kafka's 30 s). v2 (Kafka 4.2, KIP-1228) names each marker's transaction version: a marker of
/// version 2 whose producer epoch is not newer than the producer's at the partition is
/// INVALID_PRODUCER_EPOCH (older versions, and v0-1, only refuse an older epoch). Strom's own
/// coordinator sends v1.
struct WriteTxnMarkersHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2
    static let timeoutMs: Int64 = 30_000

    let metadata: MetadataService
    let replicas: ReplicaManager
    let groups: GroupCoordinatorService

    func handle(_ request: WriteTxnMarkersRequest, context: RequestContext) async -> WriteTxnMarkersResponse? {
        // Only brokers (CLUSTER_ACTION on the cluster) and, since KIP-1037, administrators (ALTER on it)
        // send markers; anyone else has every partition refused.
        guard context.authorizeCluster(.alter, logIfDenied: false) || context.authorizeCluster(.clusterAction) else {
            return WriteTxnMarkersResponse(markers: request.markers.map { m in
                .init(producerID: m.producerID, topics: m.topics.map { t in
                    .init(name: t.name, partitions: t.partitionIndexes.map { .init(partitionIndex: $0, errorCode: ErrorCode.clusterAuthorizationFailed.rawValue) })
                })
            })
        }
        let markers = request.markers.map { m in
            TransactionMarkerWriter.Marker(
                producerID: m.producerID, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult,
                partitions: m.topics.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } },
                transactionVersion: context.apiVersion >= 2 ? m.transactionVersion : 0)
        }
        let codes = await TransactionMarkerWriter(replicas: replicas, groups: groups, logger: context.logger)
            .write(markers, image: metadata.image, timeoutMs: Self.timeoutMs)
        var response = WriteTxnMarkersResponse()
        for (i, marker) in request.markers.enumerated() {
            var result = WriteTxnMarkersResponse.WritableTxnMarkerResult(producerID: marker.producerID)
            for topic in marker.topics {
                var t = WriteTxnMarkersResponse.WritableTxnMarkerResult.WritableTxnMarkerTopicResult(name: topic.name)
                for p in topic.partitionIndexes {
                    let code = codes[i][TopicPartition(topic.name, p)] ?? .unknownServerError
                    t.partitions.append(.init(partitionIndex: p, errorCode: code.rawValue))
                }
                result.topics.append(t)
            }
            response.markers.append(result)
        }
        return response
    }
}

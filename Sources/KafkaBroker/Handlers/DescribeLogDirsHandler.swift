import KafkaProtocol

/// DescribeLogDirs (KIP-113): this node's log directories and the partition logs in each (see
/// `ReplicaManager.describeLogDirs`). Null topics ask for every log here; otherwise the partitions
/// named, and a partition this node does not hold is simply absent. Every version Kafka 3.9 serves.
struct DescribeLogDirsHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...4

    let replicas: ReplicaManager

    func handle(_ request: DescribeLogDirsRequest, context: RequestContext) async -> DescribeLogDirsResponse? {
        // Kafka: DESCRIBE on the cluster, else no directories and (v3+) CLUSTER_AUTHORIZATION_FAILED.
        guard context.authorizeCluster(.describe) else {
            return DescribeLogDirsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue)
        }
        let wanted = request.topics.map { topics in
            Set(topics.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } })
        }
        return DescribeLogDirsResponse(results: await replicas.describeLogDirs(wanted))
    }
}

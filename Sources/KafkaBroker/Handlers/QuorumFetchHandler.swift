import KafkaProtocol
import KafkaRaft
import KafkaRaftWire

/// Fetch on the controller listener: replicas pulling `__cluster_metadata` from the quorum leader. The
/// request becomes a core fetch from the replica that sent it; the core's answer (records, or the
/// diverging epoch, the leader or the snapshot to fetch instead) is encoded as a Fetch response. Fetchers
/// older than v12 learn those tagged fields from the error code alone. It serves the versions the client
/// listener's `FetchHandler` serves; it lives apart from it because it shares nothing with the partition
/// logs' fetch path.
struct QuorumFetchHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { FetchHandler.versions }

    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.FetchRequest, context: RequestContext) async -> KafkaProtocol.FetchResponse? {
        // Only voters and observers fetch the metadata log: CLUSTER_ACTION on the cluster.
        guard context.authorizeCluster(.clusterAction) else {
            return RaftWire.fetchError(RaftErrorCode(rawValue: ErrorCode.clusterAuthorizationFailed.rawValue))
        }
        guard let (source, message) = try? RaftWire.inbound(request, version: context.apiVersion) else {
            return RaftWire.fetchError(.invalidRequest)
        }
        let wait = Int64(max(0, request.maxWaitMs)) + 5_000
        guard case .fetchResponse(let answer)? = await quorum.receive(source: source, correlationID: context.correlationID,
                                                                      message: message, timeoutMs: wait) else {
            return RaftWire.fetchError(RaftErrorCode(rawValue: ErrorCode.requestTimedOut.rawValue))
        }
        do {
            var response = try quorum.fetchResponse(answer)
            if context.apiVersion < 12 {
                // The leader, diverging epoch and snapshot id are tagged fields of v12+; older fetchers
                // learn them from the error code and fetch again.
                for t in response.responses.indices {
                    for p in response.responses[t].partitions.indices {
                        response.responses[t].partitions[p].divergingEpoch = .init()
                        response.responses[t].partitions[p].currentLeader = .init()
                        response.responses[t].partitions[p].snapshotID = .init()
                    }
                }
            }
            return response
        } catch {
            context.logger.error("could not encode metadata log entries", metadata: ["error": "\(error)"])
            return RaftWire.fetchError(RaftErrorCode(rawValue: ErrorCode.unknownServerError.rawValue))
        }
    }
}

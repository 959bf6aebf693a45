import KafkaController
import KafkaMetadata
import KafkaProtocol

/// Partition reassignment (KIP-455) at the controller: AlterPartitionReassignments and
/// ListPartitionReassignments from administrators, decided by the active controller and forwarded to it
/// from any other node, as Kafka's brokers forward them. The moves themselves complete in AlterPartition,
/// once the added replicas are in the ISR.
extension MetadataService {
    /// AlterPartitionReassignments from a client; top-level NOT_CONTROLLER (and on every partition) when
    /// no active controller answered in time. The answer comes once the records are committed.
    public func alterPartitionReassignments(_ request: AlterPartitionReassignmentsRequest) async -> AlterPartitionReassignmentsResponse {
        let version = AlterPartitionReassignmentsRequest.validVersions.upperBound
        let answer = await controllerCall(request, version: version,
                                          local: { await self.alterPartitionReassignmentsAsController(request) },
                                          notController: { $0.errorCode == ErrorCode.notController.rawValue })
        return answer ?? Self.failedReassignments(request, code: .notController, message: "No active controller answered in time")
    }

    /// AlterPartitionReassignments at the active controller (nil: not the active controller). A commit
    /// that fails answers with its error everywhere.
    func alterPartitionReassignmentsAsController(_ request: AlterPartitionReassignmentsRequest) async -> AlterPartitionReassignmentsResponse? {
        let unclean = UncleanLeaderElection(config)
        return await asController({ _, image in AlterPartitionReassignments.alter(request, image: image, unclean: unclean) },
                                  failing: { response, code, message in response = Self.failedReassignments(request, code: code, message: message) })
    }

    /// Every partition named in `request` with `code`, and `code` at the top level (Kafka's error response
    /// for the request).
    static func failedReassignments(_ request: AlterPartitionReassignmentsRequest, code: ErrorCode, message: String) -> AlterPartitionReassignmentsResponse {
        AlterPartitionReassignmentsResponse(allowReplicationFactorChange: request.allowReplicationFactorChange,
                                            errorCode: code.rawValue, errorMessage: message, responses: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue, errorMessage: message) })
        })
    }

    /// ListPartitionReassignments from a client, answered from the active controller's image (forwarded
    /// when that is another node); top-level NOT_CONTROLLER when none answered in time.
    public func listPartitionReassignments(_ request: ListPartitionReassignmentsRequest) async -> ListPartitionReassignmentsResponse {
        let version = ListPartitionReassignmentsRequest.validVersions.upperBound
        let answer = await controllerCall(request, version: version,
                                          local: { await self.listPartitionReassignmentsAsController(request) },
                                          notController: { $0.errorCode == ErrorCode.notController.rawValue })
        return answer ?? ListPartitionReassignmentsResponse(errorCode: ErrorCode.notController.rawValue,
                                                            errorMessage: "No active controller answered in time")
    }

    /// ListPartitionReassignments at the active controller (nil: not the active controller).
    func listPartitionReassignmentsAsController(_ request: ListPartitionReassignmentsRequest) async -> ListPartitionReassignmentsResponse? {
        await asController({ _, image in ControllerResult(response: ListPartitionReassignments.list(request, image: image)) },
                           failing: { _, _, _ in })
    }
}

import KafkaMetadata
import KafkaProtocol
import StromConfig

/// DescribeCluster: the cluster id, the controller, and the registered brokers on this listener:
/// the unfenced ones, and from v2 (Kafka 4.0, KIP-1073) the fenced ones too when the request sets
/// IncludeFencedBrokers, each with IsFenced. Asking a broker listener for controller endpoints (v1
/// endpoint type 2) is MISMATCHED_ENDPOINT_TYPE, as in Kafka; unknown endpoint types are
/// UNSUPPORTED_ENDPOINT_TYPE.
struct DescribeClusterHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...2

    let metadata: MetadataService
    let config: ServerConfig

    func handle(_ request: DescribeClusterRequest, context: RequestContext) async -> DescribeClusterResponse? {
        var response = DescribeClusterResponse(clusterID: metadata.clusterID, controllerID: metadata.controllerIDForClients)
        response.endpointType = request.endpointType
        if !Self.serves(request, on: Self.brokerEndpoints, into: &response) { return response }
        let image = metadata.image
        let listed = context.apiVersion >= 2 && request.includeFencedBrokers
            ? image.brokers.values.sorted { $0.id < $1.id } : image.activeBrokers
        response.brokers = listed.compactMap { b in
            guard let e = b.endpoint(named: context.listenerName) ?? b.endpoints.first else { return nil }
            return .init(brokerID: b.id, host: e.host, port: Int32(e.port), rack: b.rack, isFenced: b.fenced)
        }
        if request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = context.clusterAuthorizedOperations()
        }
        return response
    }

    /// v1's endpoint types, 1 (brokers) and 2 (controllers), with the answer a listener serving the
    /// other one gives (Kafka's messages).
    static let brokerEndpoints: (type: Int8, mismatch: String) = (1, "The request was sent to a broker listener but asked for controller endpoints")
    static let controllerEndpoints: (type: Int8, mismatch: String) =
        (2, "The request was sent to an endpoint of type CONTROLLER, but we wanted an endpoint of type BROKER")

    /// Whether this listener serves the endpoint type asked for; if not, `response` says why:
    /// MISMATCHED_ENDPOINT_TYPE for the other known type, UNSUPPORTED_ENDPOINT_TYPE for an unknown one.
    static func serves(_ request: DescribeClusterRequest, on served: (type: Int8, mismatch: String),
                       into response: inout DescribeClusterResponse) -> Bool {
        if request.endpointType == served.type { return true }
        if request.endpointType == 1 || request.endpointType == 2 {
            response.errorCode = ErrorCode.mismatchedEndpointType.rawValue
            response.errorMessage = served.mismatch
        } else {
            response.errorCode = ErrorCode.unsupportedEndpointType.rawValue
            response.errorMessage = "Unknown endpoint type \(request.endpointType)"
        }
        return false
    }
}

/// DescribeCluster on the controller listener (KIP-919), which admin clients bootstrapped with
/// `--bootstrap-controller` send first: the cluster id, the active controller (the metadata quorum's
/// leader, -1 while there is none), and the controllers' endpoints on the listener asked, from the
/// voter set. Only controller endpoints (v1 endpoint type 2) are served here; asking for brokers is
/// MISMATCHED_ENDPOINT_TYPE, as Kafka's controller answers. Controllers are never fenced: v2's
/// IncludeFencedBrokers changes nothing here, and IsFenced is false.
struct ControllerDescribeClusterHandler: RequestHandler {
    static var versions: ClosedRange<Int16> { DescribeClusterHandler.versions }

    let metadata: MetadataService
    let quorum: QuorumDriver

    func handle(_ request: DescribeClusterRequest, context: RequestContext) async -> DescribeClusterResponse? {
        var response = DescribeClusterResponse(clusterID: metadata.clusterID, controllerID: metadata.quorumStatus.leaderID ?? -1)
        response.endpointType = request.endpointType
        if !DescribeClusterHandler.serves(request, on: DescribeClusterHandler.controllerEndpoints, into: &response) { return response }
        response.brokers = await quorum.voterSet.voterList.compactMap { voter in
            guard let e = voter.endpoints.first(where: { $0.name == context.listenerName }) ?? voter.endpoints.first else { return nil }
            return .init(brokerID: voter.voterID, host: e.host, port: Int32(e.port), rack: nil)
        }
        if request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = context.clusterAuthorizedOperations()
        }
        return response
    }
}

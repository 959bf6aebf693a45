import KafkaMetadata
import KafkaProtocol
import StromConfig

/// DescribeCluster: the cluster id, the controller, and the brokers on this listener.
/// Asking a broker listener for controller endpoints (v1 endpoint type 2) is
/// MISMATCHED_ENDPOINT_TYPE, as in Kafka; unknown endpoint types are UNSUPPORTED_ENDPOINT_TYPE.
struct DescribeClusterHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService
    let config: ServerConfig

    func handle(_ request: DescribeClusterRequest, context: RequestContext) async -> DescribeClusterResponse? {
        var response = DescribeClusterResponse(clusterID: metadata.clusterID, controllerID: metadata.controllerIDForClients)
        response.endpointType = request.endpointType
        if !Self.serves(request, on: Self.brokerEndpoints, into: &response) { return response }
        response.brokers = metadata.image.activeBrokers.compactMap { b in
            guard let e = b.endpoint(named: context.listenerName) ?? b.endpoints.first else { return nil }
            return .init(brokerID: b.id, host: e.host, port: Int32(e.port), rack: b.rack)
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
/// MISMATCHED_ENDPOINT_TYPE, as Kafka's controller answers.
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

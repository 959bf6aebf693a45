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
            response.clusterAuthorizedOperations = context.clusterAuthorizedOperations()
        }
        return response
    }
}

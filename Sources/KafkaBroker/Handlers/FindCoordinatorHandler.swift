import KafkaController
import KafkaProtocol

/// FindCoordinator (v0-6): the node that coordinates a group, one key (v0-3) or many (v4+).
///
/// On a single node every group's coordinator is this broker. Transaction coordinators (key type 1)
/// do not exist in Strom yet: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, non-retriable, so a
/// transactional producer fails at once with a clear message instead of retrying until it times
/// out. Other key types, and empty group ids, are INVALID_REQUEST.
struct FindCoordinatorHandler: RequestHandler {
    let metadata: MetadataService
    let nodeID: Int32

    func handle(_ request: FindCoordinatorRequest, context: RequestContext) async -> FindCoordinatorResponse? {
        let broker = metadata.image.brokers[nodeID]
        let endpoint = broker?.endpoint(named: context.listenerName) ?? broker?.endpoints.first
        func lookup(_ key: String) -> (ErrorCode, String?) {
            switch request.keyType {
            case 0:
                if key.isEmpty { return (.invalidRequest, "The group id must not be empty") }
                if endpoint == nil { return (.coordinatorNotAvailable, "The coordinator is not registered yet") }
                return (.noError, nil)
            case 1:
                return (.transactionalIDAuthorizationFailed, "Transactions are not supported by Strom yet")
            default:
                return (.invalidRequest, "Unsupported coordinator key type \(request.keyType)")
            }
        }
        var response = FindCoordinatorResponse()
        if context.apiVersion < 4 {
            let (code, message) = lookup(request.key)
            response.errorCode = code.rawValue
            response.errorMessage = message
            response.nodeID = code == .noError ? nodeID : -1
            response.host = code == .noError ? endpoint!.host : ""
            response.port = code == .noError ? Int32(endpoint!.port) : -1
        } else {
            response.coordinators = request.coordinatorKeys.map { key in
                let (code, message) = lookup(key)
                return .init(key: key, nodeID: code == .noError ? nodeID : -1, host: code == .noError ? endpoint!.host : "",
                             port: code == .noError ? Int32(endpoint!.port) : -1, errorCode: code.rawValue, errorMessage: message)
            }
        }
        return response
    }
}

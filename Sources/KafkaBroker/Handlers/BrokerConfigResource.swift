import KafkaMetadata
import KafkaProtocol

/// A broker config resource sent to this node names the cluster default ("") or this node, as
/// Kafka's `ConfigAdminManager.validateResourceNameIsCurrentNodeId` requires before it forwards an
/// alteration to the controller (admin clients send a node's resource to that node).
enum BrokerConfigResource {
    /// Why this node refuses to alter the resource, or nil (not a broker resource, or one it may alter).
    static func refusal(type: Int8, name: String, nodeID: Int32) -> (code: ErrorCode, message: String)? {
        guard type == ConfigResource.brokerType, !name.isEmpty else { return nil }
        guard let id = Int32(name) else { return (.invalidRequest, "Node id must be an integer, but it is: \(name)") }
        guard id == nodeID else { return (.invalidRequest, "Unexpected broker id, expected \(nodeID), but received \(name)") }
        return nil
    }

    /// The resources this node may pass on, and the others (other nodes' broker resources) with why not.
    static func local<R>(_ resources: [R], nodeID: Int32, type: (R) -> Int8, name: (R) -> String)
        -> (kept: [R], refused: [(resourceType: Int8, resourceName: String, code: ErrorCode, message: String)]) {
        var refused: [(resourceType: Int8, resourceName: String, code: ErrorCode, message: String)] = []
        let kept = resources.filter { r in
            guard let problem = refusal(type: type(r), name: name(r), nodeID: nodeID) else { return true }
            refused.append((type(r), name(r), problem.code, problem.message))
            return false
        }
        return (kept, refused)
    }

    /// `responses` in the order of the resources asked about, as Kafka reassembles its answer (each
    /// response used once; any left over go last).
    static func inRequestOrder<T>(_ responses: [T], requested: [ConfigResource], key: (T) -> ConfigResource) -> [T] {
        var left = responses
        var out: [T] = []
        for r in requested {
            if let i = left.firstIndex(where: { key($0) == r }) { out.append(left.remove(at: i)) }
        }
        return out + left
    }
}

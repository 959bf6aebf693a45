import KafkaClient
import KafkaProtocol
import KafkaRaft
import Logging
import StromConfig
import KafkaRaftWire

/// AddRaftVoter (KIP-853): adds a voter to the KRaft quorum. Sent by admin clients to either listener: the
/// quorum leader decides it (the answer comes once the new voter set commits, or from v1, KIP-1186, once
/// it is appended when the request sets AckWhenCommitted false); another node forwards it
/// to the leader's controller listener. No answer in time is REQUEST_TIMED_OUT. Before the quorum decides,
/// the leader checks that a controller answers ApiVersions (with the quorum's Vote API) on the new voter's
/// controller-listener endpoint; otherwise REQUEST_TIMED_OUT says it could not reach it.
struct AddRaftVoterHandler: RequestHandler {
    static let versions: ClosedRange<Int16> = 0...1

    let metadata: MetadataService
    let quorum: QuorumDriver

    func handle(_ request: KafkaProtocol.AddRaftVoterRequest, context: RequestContext) async -> KafkaProtocol.AddRaftVoterResponse? {
        guard metadata.config.mayAdministerSecurity(context) else {
            return KafkaProtocol.AddRaftVoterResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue,
                                                      errorMessage: context.authorizer != nil ? AuthorizationFailure.message(for: .cluster)
                                                            : "Only super.users may change the quorum's voters")
        }
        let quorum = self.quorum
        let timeout = Int64(max(request.timeoutMs, 1_000)) + 1_000
        let config = metadata.config
        let answer = await metadata.controllerCall(request, version: context.apiVersion, timeoutMs: timeout, local: {
            // Kafka's leader asks the new voter for its ApiVersions before it adds it: an endpoint where no
            // controller answers would leave the quorum waiting for a voter that can never vote.
            if !(await quorum.voterSet.contains(request.voterID)), let problem = await Self.unreachable(request, config: config) {
                context.logger.warning("refusing AddRaftVoter", metadata: ["raft.voter": "\(request.voterID)", "reason": "\(problem)"])
                return KafkaProtocol.AddRaftVoterResponse(errorCode: ErrorCode.requestTimedOut.rawValue, errorMessage: problem)
            }
            guard case .addRaftVoterResponse(let r)? = await quorum.receiveAdmin(RaftWire.inbound(request), timeoutMs: timeout) else { return nil }
            return RaftWire.addRaftVoterResponse(r)
        }, notController: { $0.errorCode == ErrorCode.notLeaderOrFollower.rawValue })
        return answer ?? KafkaProtocol.AddRaftVoterResponse(errorCode: ErrorCode.requestTimedOut.rawValue,
                                                            errorMessage: "No quorum leader answered in time")
    }

    /// Why the new voter's controller endpoint cannot be used, or nil when a controller answered there.
    static func unreachable(_ request: KafkaProtocol.AddRaftVoterRequest, config: ServerConfig) async -> String? {
        guard let listener = config.controllerListenerNames.first,
              let endpoint = request.listeners.first(where: { $0.name.uppercased() == listener }) else { return nil }
        let channel = KafkaChannel(host: endpoint.host, port: Int(endpoint.port), clientID: "strom-\(config.nodeID)-voter-probe",
                                        logger: Logger(label: "strom.voter-probe"),
                                        // TLS as for the quorum, but no SASL: ApiVersions needs none, and this node's
                                        // credentials must not go to an address a client named.
                                        security: ChannelSecurity(tls: ChannelSecurity.loaded(listener, config: config).tls))
        defer { Task { await channel.disconnect() } }
        do {
            let versions = try await channel.send(ApiVersionsRequest(clientSoftwareName: "strom", clientSoftwareVersion: "1"),
                                                  version: 3, timeoutMs: 3_000)
            guard versions.errorCode == 0, versions.apiKeys.contains(where: { $0.apiKey == APIKey.vote.rawValue }) else {
                return "\(endpoint.host):\(endpoint.port) answered, but not as a controller listener (no Vote API)"
            }
            return nil
        } catch {
            return "the leader could not reach voter \(request.voterID) at \(endpoint.host):\(endpoint.port): \(error)"
        }
    }
}

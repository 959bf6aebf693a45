import KafkaClient
import KafkaProtocol
import KafkaRaft
import Logging

/// Requests from this node to the active controller: forwarded admin requests, broker registration and
/// heartbeats, producer-id blocks. Runs the request here when this node leads the quorum, else sends it
/// to the leader's controller listener, at the address the voter set has for it (the `requests` lane of
/// the node's `ControllerConnections`).
///
/// Retries while there is no active controller (no leader, NOT_CONTROLLER, a failed connection) until
/// the timeout: after a failure it waits for the quorum status or the image to change, at most
/// `retryBackoffMs` on the node's clock, so a new leader is tried as soon as it is known.
actor ControllerClient {
    /// The voter set, from the quorum driver (set once the driver exists).
    typealias Voters = @Sendable () async -> VoterSet?

    static let retryBackoffMs: Int64 = 100

    private let nodeID: Int32
    private let listenerName: String?
    private let publication: MetadataPublication
    private let clock: NodeClock
    private let logger: Logger
    private var voters: Voters = { nil }
    private let connections: ControllerConnections

    init(nodeID: Int32, listenerName: String?, publication: MetadataPublication, connections: ControllerConnections,
         clock: NodeClock, logger: Logger) {
        self.nodeID = nodeID
        self.connections = connections
        self.listenerName = listenerName
        self.publication = publication
        self.clock = clock
        self.logger = logger
    }

    func attach(voters: @escaping Voters) {
        self.voters = voters
    }

    /// Sends `request` to the active controller, or runs `local` when that is this node; nil when no
    /// controller answered within `timeoutMs`. `notController` tells an answer to retry elsewhere.
    func call<R: KafkaRequestMessage>(_ request: R, version: Int16, timeoutMs: Int64,
                                      local: @Sendable () async -> R.Response?,
                                      notController: @Sendable (R.Response) -> Bool) async -> R.Response? {
        let deadline = clock.nowMs() &+ timeoutMs
        while !Task.isCancelled {
            let seen = publication.view
            if seen.status.isLeader {
                if let response = await local(), !notController(response) { return response }
            } else if let leader = seen.status.leaderID, let channel = await channel(to: leader) {
                do {
                    let remaining = max(1, deadline - clock.nowMs())
                    let response = try await channel.send(request, version: version, timeoutMs: min(10_000, remaining))
                    if !notController(response) { return response }
                } catch {
                    logger.debug("controller request failed", metadata: ["kafka.controller": "\(leader)", "error": "\(error)"])
                }
            }
            let now = clock.nowMs()
            guard now < deadline else { return nil }
            // Wake early when the quorum moves (a leader is elected, this node's image catches up).
            let status = seen.status, offset = seen.image.provenance.offset
            _ = await publication.wait(until: { $0.status != status || $0.image.provenance.offset != offset },
                                       deadlineMs: min(deadline, now + Self.retryBackoffMs))
        }
        return nil
    }

    /// A connection to `controller`'s controller listener.
    private func channel(to controller: Int32) async -> KafkaChannel? {
        guard let voter = await voters()?.voter(controller),
              let endpoint = voter.endpoint(named: listenerName) ?? voter.endpoints.first else { return nil }
        return connections.channel(to: controller, host: endpoint.host, port: Int(endpoint.port), lane: .requests)
    }
}

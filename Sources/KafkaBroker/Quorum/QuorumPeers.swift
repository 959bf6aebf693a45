import KafkaClient
import KafkaProtocol
import KafkaRaft
import KafkaRaftWire
import Logging
import NIOCore

/// The quorum's network: one connection per other voter (the `quorum` lane of the node's
/// `ControllerConnections`), at its endpoint on the controller listener, following the effective voter set; requests the core addresses to a peer are encoded, sent, and
/// their responses handed back as envelopes.
///
/// Invariant: a response is delivered only for the request it answers (`KafkaChannel` checks the
/// correlation id); a request that fails or times out is dropped, and the core retries on its timers.
/// Owned by the `QuorumDriver` actor, whose isolation protects it.
struct QuorumPeers {
    private let localID: Int32
    private let listenerName: String?
    private let logger: Logger
    private let connections: ControllerConnections
    private var channels: [Int32: KafkaChannel] = [:]
    /// Requests on their way, so a resigning leader can wait for its EndQuorumEpochs.
    private(set) var inFlight: [UInt64: Task<Void, Never>] = [:]
    private var nextToken: UInt64 = 0

    init(localID: Int32, listenerName: String?, connections: ControllerConnections, logger: Logger) {
        self.localID = localID
        self.connections = connections
        self.listenerName = listenerName
        self.logger = logger
    }

    /// Keeps one connection per other voter of `set`; connections to nodes that left (or moved) close.
    mutating func follow(_ set: VoterSet) {
        var next: [Int32: KafkaChannel] = [:]
        for voter in set.voterList where voter.voterID != localID {
            guard let endpoint = voter.endpoint(named: listenerName) ?? voter.endpoints.first else {
                logger.warning("a voter has no endpoint to reach it on", metadata: ["raft.voter": "\(voter.voterID)"])
                continue
            }
            next[voter.voterID] = connections.channel(to: voter.voterID, host: endpoint.host, port: Int(endpoint.port), lane: .quorum)
        }
        channels = next
        connections.drop(lane: .quorum, except: Set(next.keys))
    }

    /// Sends a request envelope to its destination; `deliver` gets the response envelope, `finished` the
    /// token once the exchange is over either way. Returns the token, or nil when nothing was sent.
    mutating func send(_ envelope: RaftEnvelope, codec: RaftEntryBatches, timeoutMs: Int64,
                       deliver: @escaping @Sendable (RaftEnvelope) async -> Void,
                       finished: @escaping @Sendable (UInt64) async -> Void) -> UInt64? {
        guard let channel = channels[envelope.destination] else { return nil }
        let frame: ByteBuffer, apiKey: APIKey, version: Int16
        do {
            let outbound = try RaftWire.outbound(envelope.message, destination: envelope.destination, entries: codec)
            (frame, apiKey, version) = (try outbound.frame(envelope.correlationID, nil), outbound.apiKey, outbound.version)
        } catch {
            logger.error("could not encode a quorum request", metadata: ["error": "\(error)"])
            return nil
        }
        nextToken &+= 1
        let token = nextToken
        inFlight[token] = Task { [logger] in
            do {
                let body = try await channel.roundTrip(frame: frame, apiKey: apiKey, version: version,
                                                       correlationID: envelope.correlationID, timeoutMs: timeoutMs)
                let response = try RaftWire.response(to: envelope.message, version: version, body: body)
                await deliver(RaftEnvelope(source: envelope.destination, destination: envelope.source,
                                           correlationID: envelope.correlationID, message: response))
            } catch {
                // The core times the request out and retries; nothing else to do here.
                logger.debug("quorum request failed", metadata: ["raft.peer": "\(envelope.destination)", "error": "\(error)"])
            }
            await finished(token)
        }
        return token
    }

    mutating func finished(_ token: UInt64) {
        inFlight.removeValue(forKey: token)
    }

    func disconnectAll() async {
        for channel in channels.values { await channel.disconnect() }
    }
}

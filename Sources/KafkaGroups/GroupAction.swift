import KafkaProtocol

/// What the shell must do after feeding the coordinator an input, in list order.
///
/// The order is the contract: an `.append` must be durable (committed to its `__consumer_offsets`
/// partition) before any response that follows it is sent, and before the reply to the request that
/// produced the list. If an append fails, the shell treats the partition as lost: `unload(partition:)`,
/// then reload it from the log.
public enum GroupAction: Hashable, Sendable {
    /// Append these records, as one batch, to `__consumer_offsets` partition `partition`.
    case append(partition: Int32, [CoordinatorRecord])
    /// Append these records as one transactional batch of `producerID` at `producerEpoch` (a
    /// TxnOffsetCommit): the partition checks the epoch, and the producer's marker later ends them.
    case appendTransactional(partition: Int32, producerID: Int64, producerEpoch: Int16, [CoordinatorRecord])
    /// Answer the JoinGroup parked for this member (see `GroupReply.parked`).
    case respondJoin(groupID: String, memberID: String, JoinGroupResponse)
    /// Answer the SyncGroup parked for this member.
    case respondSync(groupID: String, memberID: String, SyncGroupResponse)
    /// Call `timeout(now:)` at or after `deadline`. A wake-up whose timer was since moved or cancelled is
    /// harmless: `timeout(now:)` acts only on deadlines that are still set. `nextDeadline` gives the same
    /// information as one number.
    case scheduleTimeout(GroupTimer, deadline: Int64)
}

/// Kafka's coordinator timer keys.
public enum GroupTimer: Hashable, Sendable {
    /// A member's (or a pending member's) session: `session-timeout-<group>-<member>` in Kafka.
    case heartbeat(groupID: String, memberID: String)
    /// The join phase: initial delay or rebalance timeout.
    case join(groupID: String)
    /// Waiting for every member's SyncGroup after a join phase.
    case sync(groupID: String)
    /// A consumer (KIP-848) group member's session: fenced unless it heartbeats first.
    case consumerSession(groupID: String, memberID: String)
    /// A consumer group member's time to revoke partitions (its rebalance timeout).
    case consumerRebalance(groupID: String, memberID: String)
}

/// How to answer the request just handled.
public enum GroupReply<Response: Hashable & Sendable>: Hashable, Sendable {
    /// Answer now, after performing the accompanying actions.
    case immediate(Response)
    /// Keep the request open under this member id; a later `.respondJoin`/`.respondSync` answers it.
    /// A newer request parked under the same member supersedes the older one, which Kafka never answers.
    case parked(memberID: String)
}

/// A response (or reply) together with the actions that come before it.
public struct GroupOutcome<Response: Hashable & Sendable>: Hashable, Sendable {
    public var response: Response
    public var actions: [GroupAction]

    public init(_ response: Response, actions: [GroupAction] = []) {
        self.response = response
        self.actions = actions
    }
}

public typealias JoinOutcome = GroupOutcome<GroupReply<JoinGroupResponse>>
public typealias SyncOutcome = GroupOutcome<GroupReply<SyncGroupResponse>>

/// The request facts that are not in the request body.
public struct GroupRequestContext: Hashable, Sendable {
    public var apiVersion: Int16
    public var clientID: String
    /// As Kafka renders `InetAddress.toString()`: "/127.0.0.1".
    public var clientHost: String

    public init(apiVersion: Int16, clientID: String = "", clientHost: String = "") {
        self.apiVersion = apiVersion
        self.clientID = clientID
        self.clientHost = clientHost
    }
}

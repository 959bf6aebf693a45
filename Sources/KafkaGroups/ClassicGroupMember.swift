import KafkaProtocol

/// One protocol a member supports: its name (an assignor, e.g. "range") and opaque metadata (for the
/// consumer protocol, a version-prefixed `ConsumerProtocolSubscription`).
public struct GroupProtocol: Hashable, Sendable {
    public var name: String
    public var metadata: [UInt8]

    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

/// A member of a classic group.
///
/// The first block is what `__consumer_offsets` keeps (GroupMetadataValue.MemberMetadata, with only the
/// selected protocol's metadata). The second block is soft state: parked requests and the heartbeat
/// deadline, rebuilt by rejoining after a coordinator restart.
public struct ClassicGroupMember: Hashable, Sendable {
    public var memberID: String
    /// `group.instance.id` of a static member (KIP-345); nil for a dynamic one.
    public var groupInstanceID: String?
    public var clientID: String
    /// The client address as Kafka writes it: `InetAddress.toString()`, e.g. "/127.0.0.1".
    public var clientHost: String
    public var rebalanceTimeoutMs: Int32
    public var sessionTimeoutMs: Int32
    public var protocolType: String
    /// In the member's order of preference.
    public var supportedProtocols: [GroupProtocol]
    /// The bytes the leader assigned in the last SyncGroup; empty before that.
    public var assignment: [UInt8]

    /// The API version of this member's parked JoinGroup, if one is parked.
    public internal(set) var awaitingJoinVersion: Int16?
    /// True while this member's SyncGroup is parked.
    public internal(set) var isAwaitingSync: Bool = false
    /// Joined in the current rebalance and not yet answered; such members may expire while parked.
    public internal(set) var isNew: Bool = false
    /// When the member is removed unless it heartbeats (or is parked in a rebalance) before then.
    public internal(set) var heartbeatDeadline: Int64?

    public init(
        memberID: String, groupInstanceID: String? = nil, clientID: String, clientHost: String,
        rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, protocolType: String,
        supportedProtocols: [GroupProtocol], assignment: [UInt8] = []
    ) {
        self.memberID = memberID
        self.groupInstanceID = groupInstanceID
        self.clientID = clientID
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.protocolType = protocolType
        self.supportedProtocols = supportedProtocols
        self.assignment = assignment
    }

    public var isStatic: Bool { groupInstanceID != nil }
    public var isAwaitingJoin: Bool { awaitingJoinVersion != nil }

    /// The metadata the member sent for `protocolName`, if it supports it.
    public func metadata(for protocolName: String) -> [UInt8]? {
        supportedProtocols.first { $0.name == protocolName }?.metadata
    }

    /// Kafka's `hasSatisfiedHeartbeat`: a parked existing member needs no heartbeat; a new one does.
    var hasSatisfiedHeartbeat: Bool {
        isNew ? false : (isAwaitingJoin || isAwaitingSync)
    }

    /// The member's vote: its most preferred protocol among `candidates`.
    func vote(among candidates: Set<String>) -> String? {
        supportedProtocols.first { candidates.contains($0.name) }?.name
    }
}

extension GroupProtocol {
    init(_ p: JoinGroupRequest.JoinGroupRequestProtocol) {
        self.init(name: p.name, metadata: p.metadata)
    }
}

import KafkaProtocol
import KafkaRaft

/// KIP-853's voter RPCs (AddRaftVoter 80, RemoveRaftVoter 81, UpdateRaftVoter 82; v0, and AddRaftVoter
/// v1's AckWhenCommitted) as core messages. AddRaftVoter and RemoveRaftVoter come from admin clients (`RaftEnvelope.adminClient`);
/// UpdateRaftVoter from a voter, to the leader.
extension RaftWire {
    public static let voterRPCVersion: Int16 = 0

    public static func inbound(_ r: KafkaProtocol.AddRaftVoterRequest) -> RaftMessage {
        .addRaftVoterRequest(KafkaRaft.AddRaftVoterRequest(
            clusterID: r.clusterID, timeoutMs: r.timeoutMs, voterID: r.voterID, voterDirectoryID: directoryID(r.voterDirectoryID),
            listeners: r.listeners.map { .init(name: $0.name, host: $0.host, port: $0.port) },
            ackWhenCommitted: r.ackWhenCommitted))
    }

    public static func inbound(_ r: KafkaProtocol.RemoveRaftVoterRequest) -> RaftMessage {
        .removeRaftVoterRequest(KafkaRaft.RemoveRaftVoterRequest(
            clusterID: r.clusterID, voterID: r.voterID, voterDirectoryID: directoryID(r.voterDirectoryID)))
    }

    public static func inbound(_ r: KafkaProtocol.UpdateRaftVoterRequest) -> (source: Int32, message: RaftMessage) {
        (r.voterID, .updateRaftVoterRequest(KafkaRaft.UpdateRaftVoterRequest(
            clusterID: r.clusterID, currentLeaderEpoch: r.currentLeaderEpoch, voterID: r.voterID,
            voterDirectoryID: directoryID(r.voterDirectoryID),
            listeners: r.listeners.map { .init(name: $0.name, host: $0.host, port: $0.port) },
            kraftVersionFeature: .init(minSupportedVersion: r.kRaftVersionFeature.minSupportedVersion,
                                       maxSupportedVersion: r.kRaftVersionFeature.maxSupportedVersion))))
    }

    static func updateRaftVoterRequest(_ r: KafkaRaft.UpdateRaftVoterRequest) -> KafkaProtocol.UpdateRaftVoterRequest {
        var body = KafkaProtocol.UpdateRaftVoterRequest()
        body.clusterID = r.clusterID
        body.currentLeaderEpoch = r.currentLeaderEpoch
        body.voterID = r.voterID
        body.voterDirectoryID = uuid(r.voterDirectoryID)
        body.listeners = r.listeners.map { .init(name: $0.name, host: $0.host, port: $0.port) }
        body.kRaftVersionFeature.minSupportedVersion = r.kraftVersionFeature.minSupportedVersion
        body.kRaftVersionFeature.maxSupportedVersion = r.kraftVersionFeature.maxSupportedVersion
        return body
    }

    public static func addRaftVoterResponse(_ m: RaftVoterChangeResponse) -> KafkaProtocol.AddRaftVoterResponse {
        KafkaProtocol.AddRaftVoterResponse(errorCode: m.errorCode.rawValue, errorMessage: m.errorMessage)
    }

    public static func removeRaftVoterResponse(_ m: RaftVoterChangeResponse) -> KafkaProtocol.RemoveRaftVoterResponse {
        KafkaProtocol.RemoveRaftVoterResponse(errorCode: m.errorCode.rawValue, errorMessage: m.errorMessage)
    }

    public static func updateRaftVoterResponse(_ m: KafkaRaft.UpdateRaftVoterResponse) -> KafkaProtocol.UpdateRaftVoterResponse {
        var r = KafkaProtocol.UpdateRaftVoterResponse()
        r.errorCode = m.errorCode.rawValue
        r.currentLeader.leaderID = m.leaderID
        r.currentLeader.leaderEpoch = m.leaderEpoch
        r.currentLeader.host = m.host
        r.currentLeader.port = m.port
        return r
    }

    static func updateRaftVoterResponse(_ r: KafkaProtocol.UpdateRaftVoterResponse) -> KafkaRaft.UpdateRaftVoterResponse {
        KafkaRaft.UpdateRaftVoterResponse(errorCode: RaftErrorCode(rawValue: r.errorCode), leaderID: r.currentLeader.leaderID,
                                          leaderEpoch: r.currentLeader.leaderEpoch, host: r.currentLeader.host, port: r.currentLeader.port)
    }
}

extension RaftWire {
    static func uuid(_ id: DirectoryID) -> KafkaUUID {
        KafkaUUID(mostSignificantBits: id.mostSignificantBits, leastSignificantBits: id.leastSignificantBits)
    }

    static func directoryID(_ id: KafkaUUID) -> DirectoryID {
        DirectoryID(mostSignificantBits: id.mostSignificantBits, leastSignificantBits: id.leastSignificantBits)
    }
}

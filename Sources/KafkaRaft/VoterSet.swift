/// The replicas whose votes elect a leader and whose fetch offsets advance the high watermark, each as a
/// `VotersRecord.Voter`: id, directory id, endpoints and supported kraft.version range.
///
/// Invariants: ids are unique; a majority is `count / 2 + 1` of them. The set a core uses is the latest
/// `VotersRecord` in its log, or the static set it was constructed with (`controller.quorum.voters`) when
/// the log has none (see `ControlRecordHistory`).
public struct VoterSet: Hashable, Sendable, CustomStringConvertible {
    /// `VotersRecord.Voter.Endpoints[]` (and the `Listeners[]` of AddRaftVoter/UpdateRaftVoter).
    public struct Endpoint: Hashable, Sendable {
        /// The listener name, e.g. `CONTROLLER`.
        public var name: String
        public var host: String
        public var port: UInt16

        public init(name: String, host: String, port: UInt16) {
            self.name = name
            self.host = host
            self.port = port
        }
    }

    /// `KRaftVersionFeature`: the kraft.version levels a replica can run.
    public struct KRaftVersionRange: Hashable, Sendable {
        public var minSupportedVersion: Int16
        public var maxSupportedVersion: Int16

        public init(minSupportedVersion: Int16, maxSupportedVersion: Int16) {
            self.minSupportedVersion = minSupportedVersion
            self.maxSupportedVersion = maxSupportedVersion
        }

        /// What every Strom replica supports: kraft.version 0 and 1.
        public static let strom = KRaftVersionRange(minSupportedVersion: 0, maxSupportedVersion: 1)

        public func contains(_ version: Int16) -> Bool {
            minSupportedVersion <= version && version <= maxSupportedVersion
        }
    }

    /// `VotersRecord.Voter`.
    public struct Voter: Hashable, Sendable {
        public var voterID: Int32
        /// `.zero` when unknown (a voter from the static `controller.quorum.voters`).
        public var voterDirectoryID: DirectoryID
        public var endpoints: [Endpoint]
        public var kraftVersionFeature: KRaftVersionRange

        public init(voterID: Int32, voterDirectoryID: DirectoryID = .zero, endpoints: [Endpoint] = [],
                    kraftVersionFeature: KRaftVersionRange = .strom) {
            self.voterID = voterID
            self.voterDirectoryID = voterDirectoryID
            self.endpoints = endpoints
            self.kraftVersionFeature = kraftVersionFeature
        }

        /// Kafka's `ReplicaKey` match: the ids agree and the directory ids agree, a zero directory id
        /// on the voter's side meaning "any" (static voters have none).
        public func matches(_ id: Int32, directoryID: DirectoryID) -> Bool {
            voterID == id && (voterDirectoryID == .zero || voterDirectoryID == directoryID)
        }

        /// The endpoint of a listener, or the first one when `listenerName` is nil.
        public func endpoint(named listenerName: String?) -> Endpoint? {
            guard let listenerName else { return endpoints.first }
            return endpoints.first { $0.name == listenerName }
        }
    }

    public private(set) var voters: [Int32: Voter]

    /// A static set: ids only, no directory ids or endpoints, supporting `KRaftVersionRange.strom`.
    public init(_ ids: some Sequence<Int32>) {
        voters = Dictionary(ids.map { ($0, Voter(voterID: $0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// A set from `VotersRecord.Voters`; a repeated id keeps the first entry.
    public init(voters list: [Voter]) {
        voters = Dictionary(list.map { ($0.voterID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var ids: Set<Int32> { Set(voters.keys) }
    public var count: Int { voters.count }
    /// How many voters make a majority.
    public var majority: Int { voters.count / 2 + 1 }
    public func contains(_ id: Int32) -> Bool { voters[id] != nil }
    /// The ids in ascending order (a stable order for requests and tests).
    public var sorted: [Int32] { voters.keys.sorted() }
    /// The voters ordered by id: `VotersRecord.Voters` as written.
    public var voterList: [Voter] { sorted.map { voters[$0]! } }
    public func isOnlyVoter(_ id: Int32) -> Bool { voters.count == 1 && voters[id] != nil }
    public func voter(_ id: Int32) -> Voter? { voters[id] }

    /// Kafka's `VoterSet.addVoter`: nil when the id is already a voter.
    public func adding(_ voter: Voter) -> VoterSet? {
        guard voters[voter.voterID] == nil else { return nil }
        var copy = self
        copy.voters[voter.voterID] = voter
        return copy
    }

    /// Kafka's `VoterSet.removeVoter`: nil when no voter matches or it is the only one.
    public func removing(_ id: Int32, directoryID: DirectoryID) -> VoterSet? {
        guard let voter = voters[id], voter.matches(id, directoryID: directoryID), voters.count > 1 else { return nil }
        var copy = self
        copy.voters[id] = nil
        return copy
    }

    /// Kafka's `VoterSet.updateVoter`: replaces a matching voter's directory id, endpoints and supported
    /// range; nil when no voter matches.
    public func updating(_ voter: Voter) -> VoterSet? {
        guard let current = voters[voter.voterID],
              current.matches(voter.voterID, directoryID: voter.voterDirectoryID) else { return nil }
        var copy = self
        copy.voters[voter.voterID] = voter
        return copy
    }

    public var description: String { "\(sorted)" }
}

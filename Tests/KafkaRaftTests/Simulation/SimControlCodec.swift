import KafkaRaft

/// Bytes for a control entry inside a `SimSnapshot` (the simulation's own format, not Kafka's): a kind byte
/// (1 leader change, 2 kraft.version, 3 voters) then big-endian fields and length-prefixed strings.
/// Invariant: `decode(encode(record)) == record`.
enum SimControlCodec {
    static func kind(_ record: RaftControlRecord) -> UInt8 {
        switch record {
        case .leaderChange: 1
        case .kraftVersion: 2
        case .voters: 3
        }
    }

    static func encode(_ record: RaftControlRecord) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ value: UInt32) { out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        func u64(_ value: UInt64) { u32(UInt32(value >> 32)); u32(UInt32(value & 0xFFFF_FFFF)) }
        func int(_ value: Int32) { u32(UInt32(bitPattern: value)) }
        func key(_ key: ReplicaKey) { int(key.id); u64(key.directoryID.mostSignificantBits); u64(key.directoryID.leastSignificantBits) }
        func string(_ text: String) { let bytes = Array(text.utf8); u32(UInt32(bytes.count)); out += bytes }
        switch record {
        case .leaderChange(let change):
            int(change.leaderID)
            u32(UInt32(change.voters.count)); change.voters.forEach(key)
            u32(UInt32(change.grantingVoters.count)); change.grantingVoters.forEach(key)
        case .kraftVersion(let version):
            int(Int32(version))
        case .voters(let set):
            u32(UInt32(set.count))
            for voter in set.voterList {
                key(ReplicaKey(id: voter.voterID, directoryID: voter.voterDirectoryID))
                u32(UInt32(voter.endpoints.count))
                for endpoint in voter.endpoints { string(endpoint.name); string(endpoint.host); u32(UInt32(endpoint.port)) }
                int(Int32(voter.kraftVersionFeature.minSupportedVersion)); int(Int32(voter.kraftVersionFeature.maxSupportedVersion))
            }
        }
        return out
    }

    static func decode(kind: UInt8, _ bytes: ArraySlice<UInt8>) -> RaftControlRecord? {
        var index = bytes.startIndex
        func u32() -> UInt32? {
            guard index + 4 <= bytes.endIndex else { return nil }
            defer { index += 4 }
            return bytes[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        func u64() -> UInt64? { guard let high = u32(), let low = u32() else { return nil }; return UInt64(high) << 32 | UInt64(low) }
        func int() -> Int32? { u32().map { Int32(bitPattern: $0) } }
        func key() -> ReplicaKey? {
            guard let id = int(), let most = u64(), let least = u64() else { return nil }
            return ReplicaKey(id: id, directoryID: DirectoryID(mostSignificantBits: most, leastSignificantBits: least))
        }
        func string() -> String? {
            guard let length = u32().map(Int.init), index + length <= bytes.endIndex else { return nil }
            defer { index += length }
            return String(decoding: bytes[index..<index + length], as: UTF8.self)
        }
        func keys() -> [ReplicaKey]? {
            guard let count = u32() else { return nil }
            var out: [ReplicaKey] = []
            for _ in 0..<count { guard let next = key() else { return nil }; out.append(next) }
            return out
        }
        switch kind {
        case 1:
            guard let leader = int(), let voters = keys(), let granting = keys() else { return nil }
            return .leaderChange(LeaderChange(leaderID: leader, voters: voters, grantingVoters: granting))
        case 2:
            return int().map { .kraftVersion(Int16($0)) }
        case 3:
            guard let count = u32() else { return nil }
            var voters: [VoterSet.Voter] = []
            for _ in 0..<count {
                guard let key = key(), let endpointCount = u32() else { return nil }
                var endpoints: [VoterSet.Endpoint] = []
                for _ in 0..<endpointCount {
                    guard let name = string(), let host = string(), let port = u32() else { return nil }
                    endpoints.append(VoterSet.Endpoint(name: name, host: host, port: UInt16(port)))
                }
                guard let low = int(), let high = int() else { return nil }
                voters.append(VoterSet.Voter(voterID: key.id, voterDirectoryID: key.directoryID, endpoints: endpoints,
                                             kraftVersionFeature: .init(minSupportedVersion: Int16(low),
                                                                        maxSupportedVersion: Int16(high))))
            }
            return .voters(VoterSet(voters: voters))
        default:
            return nil
        }
    }
}

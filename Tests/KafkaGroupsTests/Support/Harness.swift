import KafkaGroups
import KafkaProtocol
import NIOCore

/// Drives a `GroupCoordinator` with a manual clock and writes a transcript, one line per input and one
/// indented line per effect, in the spirit of etcd's interaction tests.
///
/// Members are named by client id ("c1"); the harness learns each minted member id from the responses
/// and shows the name instead (a second id for the same client gets a prime: "c1'"). Every appended
/// record goes to `log`, so a test can reload a coordinator from it.
struct Harness {
    var coordinator: GroupCoordinator
    var now: Int64 = 0
    var log: [CoordinatorRecord] = []
    var lines: [String] = []
    var names: [String: String] = [:]
    var ids: [String: String] = [:]

    init(config: GroupCoordinatorConfig = .test, seed: UInt64 = 1) {
        coordinator = GroupCoordinator(config: config, seed: seed)
    }

    var transcript: String { lines.joined(separator: "\n") }

    /// Forgets the transcript so far (the state stays).
    mutating func clearTranscript() { lines = [] }

    func id(_ name: String) -> String { ids[name] ?? name }
    func name(_ id: String) -> String { id.isEmpty ? "\"\"" : (names[id] ?? id) }

    func group(_ id: String = "g") -> ClassicGroup? { coordinator.groups[id] }

    mutating func learn(_ memberID: String, client: String) {
        guard !memberID.isEmpty, names[memberID] == nil else { return }
        var n = client
        while ids[n] != nil { n += "'" }
        names[memberID] = n
        ids[n] = memberID
    }

    // MARK: Inputs

    @discardableResult
    mutating func join(
        _ client: String, group: String = "g", as member: String? = nil, instance: String? = nil,
        version: Int16 = 9, protocols: [(String, [String])] = [("range", ["t1"])], protocolType: String = "consumer",
        session: Int32 = 10_000, rebalance: Int32 = 30_000
    ) -> JoinOutcome {
        let request = JoinGroupRequest(
            groupID: group, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberID: member.map(id) ?? "",
            groupInstanceID: instance, protocolType: protocolType,
            protocols: protocols.map { .init(name: $0.0, metadata: subscription($0.1)) })
        let before = summaries()
        let outcome = coordinator.join(request, context: .init(apiVersion: version, clientID: client, clientHost: "/10.0.0.1"), now: now)
        // Static members are named by instance id, as their member ids begin with it.
        if case .immediate(let r) = outcome.response { learn(r.memberID, client: instance ?? client) }
        if case .parked(let m) = outcome.response { learn(m, client: instance ?? client) }
        let who = member.map { "\(client) as \($0)" } ?? client
        lines.append("t=\(now) join \(who)\(group == "g" ? "" : " group=\(group)")\(instance.map { " instance=\($0)" } ?? "") v\(version) \(protocols.map(\.0).joined(separator: ","))")
        perform(outcome.actions, since: before)
        switch outcome.response {
        case .immediate(let r): lines.append("  reply: \(render(r))")
        case .parked(let m): lines.append("  reply: parked as \(name(m))")
        }
        return outcome
    }

    @discardableResult
    mutating func sync(
        _ member: String, group: String = "g", generation: Int32? = nil, instance: String? = nil, version: Int16 = 5,
        assign: [String: String] = [:], protocolName: String? = "range"
    ) -> SyncOutcome {
        let request = SyncGroupRequest(
            groupID: group, generationID: generation ?? coordinator.groups[group]?.generationID ?? -1, memberID: id(member),
            groupInstanceID: instance, protocolType: "consumer", protocolName: protocolName,
            assignments: assign.keys.sorted().map { .init(memberID: id($0), assignment: Array(assign[$0]!.utf8)) })
        let before = summaries()
        let outcome = coordinator.sync(request, context: .init(apiVersion: version, clientID: member), now: now)
        lines.append("t=\(now) sync \(member)\(group == "g" ? "" : " group=\(group)") gen=\(request.generationID)\(assign.isEmpty ? "" : " assign " + assign.keys.sorted().map { "\($0)=\(assign[$0]!)" }.joined(separator: " "))")
        perform(outcome.actions, since: before)
        switch outcome.response {
        case .immediate(let r): lines.append("  reply: \(render(r))")
        case .parked(let m): lines.append("  reply: parked as \(name(m))")
        }
        return outcome
    }

    @discardableResult
    mutating func heartbeat(_ member: String, group: String = "g", generation: Int32? = nil, instance: String? = nil) -> ErrorCode {
        let request = HeartbeatRequest(
            groupID: group, generationID: generation ?? coordinator.groups[group]?.generationID ?? -1,
            memberID: id(member), groupInstanceID: instance)
        let before = summaries()
        let outcome = coordinator.heartbeat(request, now: now)
        lines.append("t=\(now) heartbeat \(member)\(group == "g" ? "" : " group=\(group)") gen=\(request.generationID)")
        perform(outcome.actions, since: before)
        lines.append("  reply: \(errorName(outcome.response.errorCode))")
        return ErrorCode(rawValue: outcome.response.errorCode)
    }

    @discardableResult
    mutating func leave(_ members: [String], group: String = "g", version: Int16 = 5) -> LeaveGroupResponse {
        let request = LeaveGroupRequest(
            groupID: group, memberID: version < 3 ? id(members[0]) : "",
            members: version < 3 ? [] : members.map { .init(memberID: id($0)) })
        let before = summaries()
        let outcome = coordinator.leave(request, version: version, now: now)
        lines.append("t=\(now) leave \(members.joined(separator: ","))\(group == "g" ? "" : " group=\(group)") v\(version)")
        perform(outcome.actions, since: before)
        let r = outcome.response
        lines.append("  reply: \(errorName(r.errorCode))" + r.members.map { " \(name($0.memberID))=\(errorName($0.errorCode))" }.joined())
        return r
    }

    /// Moves the clock and fires what is due.
    mutating func advance(_ ms: Int64) {
        now += ms
        let before = summaries()
        let actions = coordinator.timeout(now: now)
        lines.append("t=\(now) timeout")
        perform(actions, since: before)
    }

    /// One line per group: state, generation and members.
    func summaries() -> [String: String] {
        coordinator.groups.mapValues { g in
            "\(g.state.rawValue) gen=\(g.generationID) members=[\(g.members.map { name($0.memberID) }.joined(separator: ","))]"
        }
    }

    /// Performs `actions`, then notes each group whose summary changed since `before`.
    mutating func perform(_ actions: [GroupAction], since before: [String: String]) {
        perform(actions)
        let after = summaries()
        for id in Set(before.keys).union(after.keys).sorted() where before[id] != after[id] {
            lines.append("  \(id): \(after[id] ?? "deleted")")
        }
    }

    mutating func perform(_ actions: [GroupAction]) {
        for action in actions {
            switch action {
            case .append(let partition, let records):
                log += records
                for r in records { lines.append("  append p\(partition): \(render(r))") }
            case .appendTransactional(let partition, let producer, let epoch, let records):
                for r in records { lines.append("  append p\(partition) txn \(producer)/\(epoch): \(render(r))") }
            case .respondJoin(_, let m, let r):
                learn(r.memberID, client: String(m.prefix { $0 != "-" }))
                lines.append("  -> \(name(m)) join: \(render(r))")
            case .respondSync(_, let m, let r):
                lines.append("  -> \(name(m)) sync: \(render(r))")
            case .scheduleTimeout(.heartbeat, _):
                break
            case .scheduleTimeout(.join(let g), let d):
                lines.append("  timer join \(g) at \(d)")
            case .scheduleTimeout(.sync(let g), let d):
                lines.append("  timer sync \(g) at \(d)")
            case .scheduleTimeout(.consumerSession, _), .scheduleTimeout(.consumerRebalance, _):
                break
            }
        }
    }

    // MARK: Rendering

    func render(_ r: JoinGroupResponse) -> String {
        if r.errorCode != 0 { return "\(errorName(r.errorCode)) member=\(name(r.memberID))" }
        var s = "gen=\(r.generationID) member=\(name(r.memberID)) leader=\(name(r.leader)) protocol=\(r.protocolName ?? "null")"
        if !r.members.isEmpty { s += " members=[\(r.members.map { name($0.memberID) }.joined(separator: ","))]" }
        if r.skipAssignment { s += " skipAssignment" }
        return s
    }

    func render(_ r: SyncGroupResponse) -> String {
        if r.errorCode != 0 { return "\(errorName(r.errorCode))" }
        return "assignment=\(String(decoding: r.assignment, as: UTF8.self))"
    }

    func render(_ record: CoordinatorRecord) -> String {
        switch try! record.decode() {
        case .offsetCommit(let k, let v):
            guard let v else { return "offset \(k.group) \(k.topic)-\(k.partition) deleted" }
            return "offset \(k.group) \(k.topic)-\(k.partition)=\(v.offset)"
        case .groupMetadata(let k, let v):
            guard let v else { return "group \(k.group) deleted" }
            let members = v.members.map { "\(name($0.memberID))=\(String(decoding: $0.assignment, as: UTF8.self))" }
            return "group \(k.group) gen=\(v.generation) type=\(v.protocolType) protocol=\(v.protocol ?? "null") leader=\(v.leader.map(name) ?? "null") members=[\(members.joined(separator: " "))]"
        case .consumerGroup(let r):
            return "consumer group record \(r)"
        case .unknown(let version):
            return "unknown record, key version \(version)"
        }
    }
}

/// Config for tests: the Kafka defaults, with a 3 s initial delay kept.
extension GroupCoordinatorConfig {
    static var test: GroupCoordinatorConfig { GroupCoordinatorConfig() }
}

/// A consumer protocol subscription as a Java consumer sends it: int16 version 0, then the v0 struct.
func subscription(_ topics: [String]) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeInteger(Int16(0))
    try! ConsumerProtocolSubscription(topics: topics).encode(to: &buffer, version: 0)
    return Array(buffer.readableBytesView)
}

/// Kafka's name for an error code ("NONE", "UNKNOWN_MEMBER_ID").
func errorName(_ code: Int16) -> String { ErrorCode(rawValue: code).name ?? "UNKNOWN_CODE(\(code))" }

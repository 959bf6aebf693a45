import Foundation
import KafkaProtocol

/// `strom consumer-groups`: kafka-consumer-groups.sh over the wire. A failure prints
/// "\nError: Executing consumer group command failed due to <message>" on standard output, as Kafka's
/// does, but exits 1 (Kafka 3.9 exits 0 there, which scripts cannot tell from success).
public enum ConsumerGroupCommand {
    public static func main(arguments: [String], console: Console) async -> Int32 {
        await AdminTool.run(console: console, options: ConsumerGroupCommandOptions.options) {
            let opts = try ConsumerGroupCommandOptions(arguments: arguments)
            for w in opts.warnings { console.errorLine(w) }
            let client = try AdminTool.client(bootstrap: opts.bootstrapServer, commandConfig: opts.commandConfig)
            do {
                let status: Int32
                switch opts.action {
                case .list: status = try await list(opts, client, console)
                case .describe: status = try await describe(opts, client, console)
                case .delete: status = try await deleteGroups(opts, client, console)
                case .resetOffsets: status = try await resetOffsets(opts, client, console)
                case .deleteOffsets: status = try await deleteOffsets(opts, client, console)
                }
                await client.close()
                return status
            } catch let e as ToolUsageError {
                await client.close()
                throw e
            } catch {
                await client.close()
                printError(console, "Executing consumer group command failed due to \(AdminTool.message(error))")
                return 1
            }
        }
    }

    /// Kafka's `printError`: a blank line, then "Error: ..." on standard output.
    static func printError(_ console: Console, _ message: String) { console.line("\nError: " + message) }

    static func groupIDs(_ opts: ConsumerGroupCommandOptions, _ client: AdminClient) async throws -> [String] {
        opts.allGroups ? try await client.listGroups().map(\.groupID) : opts.groups
    }

    static func list(_ opts: ConsumerGroupCommandOptions, _ client: AdminClient, _ console: Console) async throws -> Int32 {
        if opts.listStates != nil || opts.listTypes != nil {
            let groups = try await client.listGroups(states: opts.listStates ?? [], types: opts.listTypes ?? [])
            console.write(ConsumerGroupFormat.listing(groups, includeType: opts.listTypes != nil, includeState: opts.listStates != nil))
        } else {
            for g in try await client.listGroups() { console.line(g.groupID) }
        }
        return 0
    }

    /// Kafka's `shouldPrintMemberState`: notes about the state, and whether there is a table to print.
    static func shouldPrint(_ group: GroupDescription, rows: Int, _ console: Console) -> Bool {
        switch group.state {
        case "Dead": printError(console, "Consumer group '\(group.groupID)' does not exist.")
        case "Empty": console.errorLine("\nConsumer group '\(group.groupID)' has no active members.")
        case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
            console.errorLine("\nWarning: Consumer group '\(group.groupID)' is rebalancing.")
        default: break
        }
        return group.state != "Dead" && rows > 0
    }

    static func describe(_ opts: ConsumerGroupCommandOptions, _ client: AdminClient, _ console: Console) async throws -> Int32 {
        var described: [GroupDescription] = []
        for id in try await groupIDs(opts, client) { described.append(try await client.describeGroup(id, timeoutMs: opts.timeoutMs)) }
        for group in described.sorted(by: { $0.groupID < $1.groupID }) {
            switch opts.describeView {
            case .offsets:
                let rows = try await offsetRows(group, client, timeoutMs: opts.timeoutMs)
                if shouldPrint(group, rows: rows.count, console) { console.write(ConsumerGroupFormat.offsets(rows)) }
            case let .members(verbose):
                if shouldPrint(group, rows: group.members.count, console) { console.write(ConsumerGroupFormat.members(group, verbose: verbose)) }
            case .state:
                if shouldPrint(group, rows: 1, console) { console.write(ConsumerGroupFormat.state(group)) }
            }
        }
        return 0
    }

    /// Kafka's `collectGroupsOffsets`: a row per assigned partition (members with the most partitions
    /// first), then one per committed partition no member holds; log end offsets from ListOffsets.
    static func offsetRows(_ group: GroupDescription, _ client: AdminClient, timeoutMs: Int64) async throws -> [PartitionAssignmentState] {
        let committed = try await client.committedOffsets(group.groupID, timeoutMs: timeoutMs)
        var assigned = Set<TopicPartition>()
        var pending: [(TopicPartition, GroupDescription.Member?)] = []
        for m in group.members.filter({ !$0.assignment.isEmpty }).sorted(by: { $0.assignment.count > $1.assignment.count }) {
            for tp in m.assignment.sorted(by: <) {
                assigned.insert(tp)
                pending.append((tp, m))
            }
        }
        for tp in committed.keys.sorted(by: <) where !assigned.contains(tp) { pending.append((tp, nil)) }
        let ends = try await client.listOffsets(pending.map(\.0), timestamp: -1)
        return pending.map { tp, m in
            PartitionAssignmentState(group: group.groupID, topic: tp.topic, partition: tp.partition, offset: committed[tp] ?? nil, logEndOffset: ends[tp],
                                     consumerID: m?.memberID ?? "-", host: m?.host ?? "-", clientID: m?.clientID ?? "-")
        }
    }

    static func deleteGroups(_ opts: ConsumerGroupCommandOptions, _ client: AdminClient, _ console: Console) async throws -> Int32 {
        var succeeded: [String] = []
        var failed: [(String, KafkaFailure)] = []
        for id in try await groupIDs(opts, client) {
            let (r, _) = try await client.sendToCoordinator(group: id, timeoutMs: opts.timeoutMs, retryCode: { $0.results.first?.errorCode ?? 0 }) { _ in
                DeleteGroupsRequest(groupsNames: [id])
            }
            if let failure = r.results.first(where: { $0.groupID == id }).flatMap({ KafkaFailure(code: $0.errorCode) }) {
                failed.append((id, failure))
            } else {
                succeeded.append(id)
            }
        }
        if failed.isEmpty {
            console.line("Deletion of requested consumer groups ('" + succeeded.joined(separator: ", ") + "') was successful.")
            return 0
        }
        printError(console, "Deletion of some consumer groups failed:")
        for (group, failure) in failed {
            console.line("* Group '\(group)' could not be deleted due to: java.util.concurrent.ExecutionException: \(failure.javaException)")
        }
        if !succeeded.isEmpty {
            console.line("\nThese consumer groups were deleted successfully: '" + succeeded.joined(separator: "'") + "', '")
        }
        return 1
    }

    /// The partitions `--topic t[:p,...]` names (a topic without partitions: all of its partitions).
    static func partitions(_ topicArgs: [String], _ client: AdminClient) async throws -> [TopicPartition] {
        var out: [TopicPartition] = []
        var whole: [String] = []
        for arg in topicArgs {
            guard arg.contains(":") else { whole.append(arg); continue }
            let parts = arg.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw ToolUsageError("Invalid topic arg '\(arg)', expected topic name and partitions") }
            for p in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                guard let n = Int32(p) else { throw ToolUsageError("Invalid partition '\(p)' specified in topic arg '\(arg)''") }
                out.append(TopicPartition(String(parts[0]), n))
            }
        }
        if !whole.isEmpty {
            let described = try await client.describeTopics(whole)
            for t in whole {
                guard let r = described[t] else { throw KafkaFailure(code: .unknownTopicOrPartition, message: nil) }
                out += try r.get().partitions.map { TopicPartition(t, $0.partition) }
            }
        }
        return out
    }

    static func resetOffsets(_ opts: ConsumerGroupCommandOptions, _ client: AdminClient, _ console: Console) async throws -> Int32 {
        guard let scenario = opts.resetScenario else { return 1 }
        var fileOffsets: [String: [TopicPartition: Int64]] = [:]
        if case let .fromFile(path) = scenario {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ToolFailure("\(path) (No such file or directory)")
            }
            fileOffsets = try ResetOffsetsPlan.parseCSV(text, singleGroup: opts.groups.count == 1 ? opts.groups[0] : nil)
        }
        var plans: [(group: String, offsets: [TopicPartition: Int64])] = []
        var status: Int32 = 0
        for id in try await groupIDs(opts, client) {
            let group = try await client.describeGroup(id, timeoutMs: opts.timeoutMs)
            guard group.state == "Empty" || group.state == "Dead" else {
                printError(console, "Assignments can only be reset if the group '\(id)' is inactive, but the current state is \(group.state).")
                plans.append((id, [:]))
                status = 1
                continue
            }
            let committed = try await client.committedOffsets(id, timeoutMs: opts.timeoutMs)
            let targets: [TopicPartition]
            if opts.allTopics {
                targets = committed.keys.sorted(by: <)
            } else if !opts.topics.isEmpty {
                targets = try await partitions(opts.topics, client)
            } else if case .fromFile = scenario {
                targets = Array((fileOffsets[id] ?? [:]).keys)
            } else {
                throw ToolUsageError("One of the reset scopes should be defined: --all-topics, --topic.")
            }
            if case .fromFile = scenario, fileOffsets[id] == nil {
                printError(console, "No reset plan for group \(id) found")
                plans.append((id, [:]))
                continue
            }
            var inputs = ResetOffsetsPlan.Inputs(partitions: targets, committed: committed,
                                                 logStart: try await client.listOffsets(targets, timestamp: -2),
                                                 logEnd: try await client.listOffsets(targets, timestamp: -1),
                                                 fromFile: fileOffsets[id] ?? [:])
            switch scenario {
            case let .toDatetime(ts), let .byDuration(ts): inputs.byTimestamp = try await client.listOffsets(targets, timestamp: ts)
            default: break
            }
            let plan = try ResetOffsetsPlan.plan(scenario, inputs)
            for n in plan.notices { console.line(n) }
            if opts.execute { try await client.commitOffsets(id, plan.offsets, timeoutMs: opts.timeoutMs) }
            plans.append((id, plan.offsets))
        }
        if opts.export {
            console.line(ResetOffsetsPlan.exportCSV(plans, singleGroup: opts.groups.count == 1))
        } else {
            console.write(ConsumerGroupFormat.resetOffsets(plans))
        }
        return status
    }

    static func deleteOffsets(_ opts: ConsumerGroupCommandOptions, _ client: AdminClient, _ console: Console) async throws -> Int32 {
        let group = opts.groups[0]
        var results: [(TopicPartition, String?)] = []
        var partitions: [TopicPartition] = []
        let whole = opts.topics.filter { !$0.contains(":") }
        partitions += try await self.partitions(opts.topics.filter { $0.contains(":") }, client)
        if !whole.isEmpty {
            let described = try await client.describeTopics(whole)
            for t in whole {
                switch described[t] {
                case let .success(info): partitions += info.partitions.map { TopicPartition(t, $0.partition) }
                case let .failure(f): results.append((TopicPartition(t, -1), "java.util.concurrent.ExecutionException: " + f.javaException))
                case nil: results.append((TopicPartition(t, -1), "java.util.concurrent.ExecutionException: "
                                          + KafkaFailure(code: .unknownTopicOrPartition, message: nil).javaException))
                }
            }
        }
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let (r, _) = try await client.sendToCoordinator(group: group, timeoutMs: opts.timeoutMs, retryCode: { $0.errorCode }) { _ in
            OffsetDeleteRequest(groupID: group, topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!.sorted().map { .init(partitionIndex: $0) }) })
        }
        let top = KafkaFailure(code: r.errorCode)
        var partitionErrors: [TopicPartition: KafkaFailure] = [:]
        for t in r.topics { for p in t.partitions { if let f = KafkaFailure(code: p.errorCode) { partitionErrors[TopicPartition(t.name, p.partitionIndex)] = f } } }
        let firstPartitionError = partitionErrors.values.first
        switch (top ?? firstPartitionError)?.code {
        case nil: console.line("Request succeed for deleting offsets with topic " + opts.topics.joined(separator: ", ") + " group " + group)
        case .some(.invalidGroupID): printError(console, "'\(group)' is not valid.")
        case .some(.groupIDNotFound): printError(console, "'\(group)' does not exist.")
        case .some(.groupAuthorizationFailed): printError(console, "Access to '\(group)' is not authorized.")
        case .some(.nonEmptyGroup): printError(console, "Deleting offsets of a consumer group '\(group)' is forbidden if the group is not empty.")
        case .some(.groupSubscribedToTopic), .some(.topicAuthorizationFailed), .some(.unknownTopicOrPartition):
            printError(console, "Encounter some partition level error, see the follow-up details:")
        case let .some(code): printError(console, "Encounter some unknown error: \(code.name ?? "\(code.rawValue)")")
        }
        for tp in partitions {
            let f = top ?? partitionErrors[tp]
            results.append((tp, f.map { "java.util.concurrent.ExecutionException: " + $0.javaException }))
        }
        console.write(ConsumerGroupFormat.deleteOffsets(results))
        return top == nil && partitionErrors.isEmpty && results.allSatisfy({ $0.1 == nil }) ? 0 : 1
    }
}

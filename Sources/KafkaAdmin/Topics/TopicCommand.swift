import KafkaProtocol

/// `strom topics`: kafka-topics.sh over the wire. Errors after the arguments are checked print
/// "Error while executing topic command : <message>" on standard output and exit 1, as Kafka's does.
public enum TopicCommand {
    public static func main(arguments: [String], console: Console) async -> Int32 {
        await AdminTool.run(console: console, options: TopicCommandOptions.options) {
            let opts = try TopicCommandOptions(arguments: arguments)
            for n in opts.notices { console.line(n) }
            let client = try AdminTool.client(bootstrap: opts.bootstrapServer, commandConfig: opts.commandConfig)
            defer { Task { await client.close() } }
            do {
                switch opts.action {
                case .create: try await create(opts, client, console)
                case .alter: try await alter(opts, client)
                case .list: try await list(opts, client, console)
                case .describe: try await describe(opts, client, console)
                case .delete: try await delete(opts, client)
                }
                await client.close()
                return 0
            } catch {
                await client.close()
                console.line("Error while executing topic command : \(AdminTool.message(error))")
                return 1
            }
        }
    }

    static func create(_ opts: TopicCommandOptions, _ client: AdminClient, _ console: Console) async throws {
        let name = opts.topic!
        if name.contains(".") || name.contains("_") {
            console.line("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
        }
        if let rf = opts.replicationFactor, rf > Int(Int16.max) || rf < 1 {
            throw ToolFailure("The replication factor must be between 1 and \(Int16.max) inclusive")
        }
        if let p = opts.partitions, p < 1 { throw ToolFailure("The partitions must be greater than 0") }
        var topic = CreateTopicsRequest.CreatableTopic(name: name, numPartitions: -1, replicationFactor: -1)
        if let assignment = opts.replicaAssignment {
            topic.assignments = assignment.enumerated().map { .init(partitionIndex: Int32($0.offset), brokerIDs: $0.element) }
        } else {
            topic.numPartitions = opts.partitions.map(Int32.init) ?? -1
            topic.replicationFactor = opts.replicationFactor.map(Int16.init) ?? -1
        }
        var configs: [String: String] = [:]
        var order: [String] = []
        for (k, v) in opts.configs { if configs.updateValue(v, forKey: k) == nil { order.append(k) } }
        topic.configs = order.map { .init(name: $0, value: configs[$0]) }
        let response = try await client.send(to: .controller) { _ in CreateTopicsRequest(topics: [topic], timeoutMs: 30_000) }
        guard let result = response.topics.first(where: { $0.name == name }) else { throw ToolFailure("no result for topic \(name)") }
        if let failure = KafkaFailure(code: result.errorCode, message: result.errorMessage) {
            if failure.code == .topicAlreadyExists && opts.ifNotExists { return }
            throw failure
        }
        console.line("Created topic \(name).")
    }

    static func topics(_ opts: TopicCommandOptions, _ client: AdminClient) async throws -> [String] {
        let all = try await client.listTopics(listInternal: !opts.excludeInternal).map(\.name)
        return try TopicFilter.select(all, filter: opts.topic, excludeInternal: opts.excludeInternal)
    }

    /// Kafka's `ensureTopicExists`; its message shows the topic as Java prints an `Optional`.
    static func ensureExists(_ found: [String], _ opts: TopicCommandOptions) throws {
        if let t = opts.topic, !t.isEmpty, !opts.ifExists, found.isEmpty {
            throw ToolFailure("Topic 'Optional[\(t)]' does not exist as expected")
        }
    }

    static func list(_ opts: TopicCommandOptions, _ client: AdminClient, _ console: Console) async throws {
        console.line(try await topics(opts, client).joined(separator: "\n"))
    }

    static func alter(_ opts: TopicCommandOptions, _ client: AdminClient) async throws {
        let names = try await topics(opts, client)
        try ensureExists(names, opts)
        guard !names.isEmpty, let count = opts.partitions else { return }
        let described = try await client.describeTopics(names)
        var requestTopics: [CreatePartitionsRequest.CreatePartitionsTopic] = []
        for name in names {
            var t = CreatePartitionsRequest.CreatePartitionsTopic(name: name, count: Int32(count), assignments: nil)
            if let assignment = opts.replicaAssignment {
                let existing = try described[name]?.get().partitions.count ?? 0
                t.assignments = assignment.dropFirst(existing).map { .init(brokerIDs: $0) }
            }
            requestTopics.append(t)
        }
        let response = try await client.send(to: .controller) { _ in CreatePartitionsRequest(topics: requestTopics, timeoutMs: 30_000) }
        for r in response.results {
            if let failure = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw failure }
        }
    }

    static func delete(_ opts: TopicCommandOptions, _ client: AdminClient) async throws {
        let names = try await topics(opts, client)
        try ensureExists(names, opts)
        guard !names.isEmpty else { return }
        let response = try await client.send(to: .controller) { v in
            v >= 6 ? DeleteTopicsRequest(topics: names.map { .init(name: $0) }, timeoutMs: 30_000) : DeleteTopicsRequest(topicNames: names, timeoutMs: 30_000)
        }
        for r in response.responses {
            if let failure = KafkaFailure(code: r.errorCode, message: r.errorMessage) { throw failure }
        }
    }

    static func describe(_ opts: TopicCommandOptions, _ client: AdminClient, _ console: Console) async throws {
        let listed = try await client.listTopics(listInternal: !opts.excludeInternal)
        var names: [String]
        if let idText = opts.topicID, let id = KafkaUUID(idText), id != .zero {
            names = listed.filter { $0.id == id }.map(\.name)
            if names.isEmpty && !opts.ifExists { throw ToolFailure("TopicId '\(idText)' does not exist as expected") }
        } else {
            names = try TopicFilter.select(listed.map(\.name), filter: opts.topic, excludeInternal: opts.excludeInternal)
            try ensureExists(names, opts)
        }
        guard !names.isEmpty else { return }
        let described = try await client.describeTopics(names, partitionLimit: Int32(opts.partitionSizeLimitPerResponse ?? 2000))
        var topics: [TopicInfo] = []
        for name in names {
            guard let r = described[name] else { continue }
            topics.append(try r.get())
        }
        let configs = try await client.describeConfigs(.topic, names: topics.map(\.name), includeSynonyms: false)
        let live = Set(try await client.describeCluster().brokers.map(\.id))
        let reassignments = try await client.listReassignments(topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0.partition) } })
        let report = TopicDescribeFormat.Report(underReplicated: opts.reportUnderReplicated, unavailable: opts.reportUnavailable,
                                                underMinIsr: opts.reportUnderMinIsr, atMinIsr: opts.reportAtMinIsr, overriddenConfigs: opts.reportOverriddenConfigs)
        for topic in topics {
            let entries = try configs[topic.name]?.get() ?? []
            for line in TopicDescribeFormat.lines(topic: topic, configs: entries, reassignments: reassignments, liveBrokers: live, report: report) {
                console.line(line)
            }
        }
    }
}

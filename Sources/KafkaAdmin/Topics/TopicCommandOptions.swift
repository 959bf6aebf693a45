/// `strom topics` arguments, checked as kafka-topics.sh (3.9, `TopicCommandOptions`) checks them:
/// exactly one of `--create --list --describe --alter --delete`, `--bootstrap-server`, `--topic` for
/// create/alter/delete, `--partitions` for alter, and the same "can't be used with" pairs.
///
/// Pure: a parsed, checked command line; `TopicCommand` does the I/O.
public struct TopicCommandOptions: Sendable {
    public enum Action: String, Sendable { case create, list, describe, alter, delete }

    public static let options: [ToolOption] = [
        ToolOption("bootstrap-server", .required, help: "REQUIRED: The Kafka server to connect to.", valueName: "server to connect to"),
        ToolOption("command-config", .required, help: "Property file containing configs to be passed to Admin Client.",
                   valueName: "command config property file"),
        ToolOption("list", help: "List all available topics."),
        ToolOption("create", help: "Create a new topic."),
        ToolOption("delete", help: "Delete a topic"),
        ToolOption("alter", help: "Alter the number of partitions and replica assignment."),
        ToolOption("describe", help: "List details for the given topics."),
        ToolOption("topic", .required, help: "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option.",
                   valueName: "topic"),
        ToolOption("topic-id", .required, help: "The topic-id to describe.", valueName: "topic-id"),
        ToolOption("config", .required, help: "A topic configuration override for the topic being created.", valueName: "name=value"),
        ToolOption("delete-config", .required, help: "A topic configuration override to be removed for an existing topic. Not supported with the --bootstrap-server option.",
                   valueName: "name"),
        ToolOption("partitions", .required, help: "The number of partitions for the topic being created or altered.", valueName: "# of partitions"),
        ToolOption("replication-factor", .required, help: "The replication factor for each partition in the topic being created.",
                   valueName: "replication factor"),
        ToolOption("replica-assignment", .required, help: "A list of manual partition-to-broker assignments for the topic being created or altered.",
                   valueName: "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ..."),
        ToolOption("under-replicated-partitions", help: "if set when describing topics, only show under replicated partitions"),
        ToolOption("unavailable-partitions", help: "if set when describing topics, only show partitions whose leader is not available"),
        ToolOption("under-min-isr-partitions", help: "if set when describing topics, only show partitions whose isr count is less than the configured minimum."),
        ToolOption("at-min-isr-partitions", help: "if set when describing topics, only show partitions whose isr count is equal to the configured minimum."),
        ToolOption("topics-with-overrides", help: "if set when describing topics, only show topics that have overridden configs"),
        ToolOption("if-exists", help: "if set when altering or deleting or describing topics, the action will only execute if the topic exists."),
        ToolOption("if-not-exists", help: "if set when creating topics, the action will only execute if the topic does not already exist."),
        ToolOption("exclude-internal", help: "exclude internal topics when running list or describe command. The internal topics will be listed by default"),
        ToolOption("partition-size-limit-per-response", .required, help: "the maximum partition size to be included in one DescribeTopicPartitions response.",
                   valueName: "maximum number of partitions in one response."),
        ToolOption("help", help: "Print usage information."),
    ]

    public var action: Action
    public var bootstrapServer: String
    public var commandConfig: String?
    public var topic: String?
    public var topicID: String?
    public var partitions: Int?
    public var replicationFactor: Int?
    /// Replica lists by partition, in partition order.
    public var replicaAssignment: [[Int32]]?
    /// `--config` pairs in the order given (a later key wins).
    public var configs: [(String, String)]
    public var ifExists: Bool
    public var ifNotExists: Bool
    public var excludeInternal: Bool
    public var reportUnderReplicated: Bool
    public var reportUnavailable: Bool
    public var reportUnderMinIsr: Bool
    public var reportAtMinIsr: Bool
    public var reportOverriddenConfigs: Bool
    public var partitionSizeLimitPerResponse: Int?
    /// Lines Kafka prints on standard output while checking (its WARNINGs), before acting.
    public var notices: [String] = []

    public init(arguments: [String]) throws {
        if arguments.isEmpty { throw ToolUsageError("Create, delete, describe, or change a topic.") }
        let a = try ToolArguments(parsing: arguments, options: Self.options)
        if a.has("help") { throw ToolUsageError("This tool helps to create, delete, describe, or change a topic.") }
        let actions = a.given(["create", "list", "alter", "describe", "delete"])
        guard actions.count == 1, let action = Action(rawValue: actions[0]) else {
            throw ToolUsageError("Command must include exactly one action: --list, --describe, --create, --alter or --delete")
        }
        guard let bootstrap = a.value("bootstrap-server") else { throw ToolFailure("--bootstrap-server must be specified") }
        self.action = action
        self.bootstrapServer = bootstrap
        commandConfig = a.value("command-config")
        topic = a.value("topic")
        topicID = a.value("topic-id")
        partitions = try a.integer("partitions")
        replicationFactor = try a.integer("replication-factor")
        ifExists = a.has("if-exists")
        ifNotExists = a.has("if-not-exists")
        excludeInternal = a.has("exclude-internal")
        reportUnderReplicated = a.has("under-replicated-partitions")
        reportUnavailable = a.has("unavailable-partitions")
        reportUnderMinIsr = a.has("under-min-isr-partitions")
        reportAtMinIsr = a.has("at-min-isr-partitions")
        reportOverriddenConfigs = a.has("topics-with-overrides")
        partitionSizeLimitPerResponse = try a.integer("partition-size-limit-per-response")

        // checkRequiredArgs
        if a.has("describe") && a.has("if-exists") {
            if !a.has("topic") && !a.has("topic-id") { throw ToolUsageError("--topic or --topic-id is required to describe a topic") }
            if a.has("topic") && a.has("topic-id") {
                notices.append("Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID")
            }
        }
        if !a.has("list") && !a.has("describe") { try a.require("topic") }
        if a.has("alter") {
            if a.has("bootstrap-server") && a.has("config") {
                throw ToolUsageError("Option combination \"[[bootstrap-server], [config]]\" can't be used with option \"[alter]\""
                    + " (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)")
            }
            try a.require("partitions")
        }
        // checkInvalidArgs
        let all = ["alter", "create", "describe", "list", "delete"]
        func others(_ keep: [String], plus extra: [String] = []) -> [String] { all.filter { !keep.contains($0) } + extra }
        try a.refuse(others(["alter", "create"]), with: "config")
        try a.refuse(others(["alter"], plus: ["bootstrap-server"]), with: "delete-config")
        try a.refuse(others(["alter", "create"]), with: "partitions")
        try a.refuse(others(["create"]), with: "replication-factor")
        try a.refuse(others(["alter", "create"]), with: "replica-assignment")
        if a.has("create") { try a.refuse(["partitions", "replication-factor"], with: "replica-assignment") }
        for report in ["under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"] {
            try a.refuse(others(["describe", report], plus: ["topics-with-overrides"]), with: report)
        }
        try a.refuse(others(["describe"], plus: ["under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"]),
                     with: "topics-with-overrides")
        try a.refuse(others(["alter", "delete", "describe"]), with: "if-exists")
        try a.refuse(others(["create"]), with: "if-not-exists")
        try a.refuse(others(["list", "describe"]), with: "exclude-internal")

        if let text = a.value("replica-assignment"), !text.isEmpty {
            replicaAssignment = try ReplicaAssignment.parse(text)
        }
        configs = try Self.parseConfigs(a.values("config"))
        for (k, v) in configs where k == "message.format.version" {
            notices.append("WARNING: The configuration message.format.version=\(v) is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker or if the inter.broker.protocol.version is 3.0 or newer. This configuration is deprecated and it will be removed in Apache Kafka 4.0.")
        }
    }

    /// `--config k=v` values: each exactly one `=` (spaces around it ignored), as Kafka splits them.
    static func parseConfigs(_ values: [String]) throws(ToolFailure) -> [(String, String)] {
        var out: [(String, String)] = []
        for v in values {
            let parts = v.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ToolFailure("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".")
            }
            out.append((parts[0].trimmedWhitespace(), parts[1].trimmedWhitespace()))
        }
        return out
    }
}

/// `--replica-assignment 1:2,2:3`: one colon-separated broker list per partition, in partition order,
/// each of the same length and without duplicates (Kafka's `parseReplicaAssignment`).
public enum ReplicaAssignment {
    public static func parse(_ text: String) throws(ToolFailure) -> [[Int32]] {
        var out: [[Int32]] = []
        for (i, partition) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            var brokers: [Int32] = []
            for item in partition.split(separator: ":", omittingEmptySubsequences: false) {
                let t = item.trimmedWhitespace()
                guard let id = Int32(t) else { throw ToolFailure("For input string: \"\(t)\"") }
                brokers.append(id)
            }
            var seen = Set<Int32>()
            let duplicates = brokers.filter { !seen.insert($0).inserted }
            if !duplicates.isEmpty {
                throw ToolFailure("Partition replica lists may not contain duplicate entries: " + Array(Set(duplicates)).sorted().map(String.init).joined(separator: ","))
            }
            if let first = out.first, first.count != brokers.count {
                throw ToolFailure("Partition \(i) has different replication factor: [" + brokers.map(String.init).joined(separator: ", ") + "]")
            }
            out.append(brokers)
        }
        return out
    }
}

import Foundation

/// `strom consumer-groups` arguments, checked as kafka-consumer-groups.sh (3.9) checks them.
/// Pure; `ConsumerGroupCommand` does the I/O.
public struct ConsumerGroupCommandOptions: Sendable {
    public enum Action: String, Sendable { case list, describe, delete, resetOffsets = "reset-offsets", deleteOffsets = "delete-offsets" }
    public enum DescribeView: Sendable { case offsets, members(verbose: Bool), state }

    /// The reset scenario (one of them, Kafka's `allResetOffsetScenarioOpts`).
    public enum ResetScenario: Hashable, Sendable {
        case toOffset(Int64)
        case toEarliest
        case toLatest
        case toCurrent
        case shiftBy(Int64)
        case toDatetime(Int64)
        /// An ISO-8601 duration back from now (`PnDTnHnMn.nS`), in milliseconds.
        case byDuration(Int64)
        case fromFile(String)
    }

    public static let options: [ToolOption] = [
        ToolOption("bootstrap-server", .required, help: "REQUIRED: The server(s) to connect to.", valueName: "server to connect to"),
        ToolOption("group", .required, help: "The consumer group we wish to act on.", valueName: "consumer group"),
        ToolOption("topic", .required, help: "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`.",
                   valueName: "topic"),
        ToolOption("all-topics", help: "Consider all topics assigned to a group in the `reset-offsets` process."),
        ToolOption("list", help: "List all consumer groups."),
        ToolOption("describe", help: "Describe consumer group and list offset lag (number of messages not yet processed) related to given group."),
        ToolOption("all-groups", help: "Apply to all consumer groups."),
        ToolOption("delete", help: "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group."),
        ToolOption("timeout", .required, help: "The timeout that can be set for some use cases. (default: 5000)", valueName: "timeout (ms)"),
        ToolOption("command-config", .required, help: "Property file containing configs to be passed to Admin Client and Consumer.",
                   valueName: "command config property file"),
        ToolOption("reset-offsets", help: "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive."),
        ToolOption("delete-offsets", help: "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics."),
        ToolOption("dry-run", help: "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets."),
        ToolOption("execute", help: "Execute operation. Supported operations: reset-offsets."),
        ToolOption("export", help: "Export operation execution to a CSV file. Supported operations: reset-offsets."),
        ToolOption("to-offset", .required, help: "Reset offsets to a specific offset.", valueName: "offset"),
        ToolOption("from-file", .required, help: "Reset offsets to values defined in CSV file.", valueName: "path to CSV file"),
        ToolOption("to-datetime", .required, help: "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'", valueName: "datetime"),
        ToolOption("by-duration", .required, help: "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'", valueName: "duration"),
        ToolOption("to-earliest", help: "Reset offsets to earliest offset."),
        ToolOption("to-latest", help: "Reset offsets to latest offset."),
        ToolOption("to-current", help: "Reset offsets to current offset."),
        ToolOption("shift-by", .required, help: "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.", valueName: "number-of-offsets"),
        ToolOption("members", help: "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only."),
        ToolOption("verbose", help: "Provide additional information, if any, when describing the group."),
        ToolOption("offsets", help: "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action."),
        ToolOption("state", .optional, help: "When specified with '--describe', includes the state of the group. When specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.",
                   valueName: "String"),
        ToolOption("type", .optional, help: "When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types.",
                   valueName: "String"),
        ToolOption("help", help: "Print usage information."),
    ]

    static let scenarioNames = ["to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "from-file"]

    public var action: Action
    public var bootstrapServer: String
    public var commandConfig: String?
    public var groups: [String]
    public var allGroups: Bool
    public var topics: [String]
    public var allTopics: Bool
    public var timeoutMs: Int64
    public var describeView: DescribeView = .offsets
    /// `--list --state [S,...]`: nil without `--state`, empty for all states.
    public var listStates: [String]?
    /// `--list --type [T,...]`: nil without `--type`.
    public var listTypes: [String]?
    public var resetScenario: ResetScenario?
    public var execute: Bool
    public var export: Bool
    /// What Kafka prints on standard error while checking (its WARN about --execute).
    public var warnings: [String] = []

    public init(arguments: [String], now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) throws {
        let a = try ToolArguments(parsing: arguments, options: Self.options)
        if a.has("help") || arguments.isEmpty {
            throw ToolUsageError("This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.")
        }
        for (name, allowed) in [("members", ["describe"]), ("verbose", ["describe"]), ("offsets", ["describe"]), ("state", ["describe", "list"]), ("type", ["list"])]
            where a.has(name) && !allowed.contains(where: a.has) {
            throw ToolUsageError("Option(s) [\(name)] are unavailable given other options on the command line")
        }
        // checkArgs
        try a.require("bootstrap-server")
        if a.has("describe") {
            if !a.has("group") && !a.has("all-groups") {
                throw ToolUsageError("Option [describe] takes one of these options: [list], [describe], [delete], [reset-offsets]")
            }
            if a.given(["members", "offsets", "state"]).count > 1 {
                throw ToolUsageError("Option [describe] takes at most one of these options: [members], [offsets], [state]")
            }
            if a.has("state") && a.value("state") != nil { throw ToolUsageError("Option [describe] does not take a value for [state]") }
        }
        if a.has("delete") {
            if !a.has("group") && !a.has("all-groups") { throw ToolUsageError("Option [delete] takes one of these options: [group], [all-groups]") }
            if a.has("topic") { throw ToolUsageError("The consumer does not support topic-specific offset deletion from a consumer group.") }
        }
        if a.has("delete-offsets") {
            if !a.has("group") || !a.has("topic") { throw ToolUsageError("Option [delete-offsets] takes the following options: [group], [all-groups]") }
        }
        if a.has("reset-offsets") {
            if a.has("dry-run") && a.has("execute") { throw ToolUsageError("Option [reset-offsets] only accepts one of [execute] and [dry-run]") }
            if !a.has("dry-run") && !a.has("execute") {
                warnings.append("WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.")
            }
            if !a.has("group") && !a.has("all-groups") { throw ToolUsageError("Option [reset-offsets] takes one of these options: [group], [all-groups]") }
            for s in Self.scenarioNames { try a.refuse(Self.scenarioNames.filter { $0 != s }, with: s) }
        }
        try a.refuse(["all-groups"], with: "group")
        try a.refuse(["list"], with: "group")
        try a.refuse(["list", "describe"], with: "topic")

        let actions = a.given(["list", "describe", "delete", "reset-offsets", "delete-offsets"])
        guard actions.count == 1, let action = Action(rawValue: actions[0]) else {
            throw ToolUsageError("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")
        }
        self.action = action
        bootstrapServer = a.value("bootstrap-server")!
        commandConfig = a.value("command-config")
        groups = a.values("group")
        allGroups = a.has("all-groups")
        topics = a.values("topic")
        allTopics = a.has("all-topics")
        timeoutMs = Int64(try a.integer("timeout") ?? 5000)
        execute = a.has("execute")
        export = a.has("export")
        if a.has("members") { describeView = .members(verbose: a.has("verbose")) } else if a.has("state") && action == .describe { describeView = .state }
        if action == .list {
            if a.has("state") { listStates = try Self.states(a.value("state")) }
            if a.has("type") { listTypes = try Self.types(a.value("type")) }
        }
        if action == .resetOffsets { resetScenario = try Self.scenario(a, now: now) }
    }

    public static let validStates = ["PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling"]

    /// `consumerGroupStatesFromString`: case-insensitive names, each one of Kafka's states.
    static func states(_ text: String?) throws(ToolUsageError) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        var out: [String] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let t = raw.trimmedWhitespace()
            guard let s = validStates.first(where: { $0.lowercased() == t.lowercased() }) else {
                throw ToolUsageError("Invalid state list '\(text)'. Valid states are: " + validStates.joined(separator: ", "))
            }
            if !out.contains(s) { out.append(s) }
        }
        return out
    }

    static func types(_ text: String?) throws(ToolUsageError) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        var out: [String] = []
        for raw in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
            let t = raw.trimmedWhitespace()
            guard ["classic", "consumer", "share"].contains(t) else {
                throw ToolUsageError("Invalid types list '\(text)'. Valid types are: Classic, Consumer, Share")
            }
            if !out.contains(t) { out.append(t) }
        }
        return out
    }

    static func scenario(_ a: ToolArguments, now: Int64) throws -> ResetScenario {
        if let t = a.value("to-offset") {
            guard let n = Int64(t) else { throw ToolUsageError("Cannot parse argument '\(t)' of option to-offset") }
            return .toOffset(n)
        }
        if a.has("to-earliest") { return .toEarliest }
        if a.has("to-latest") { return .toLatest }
        if let t = a.value("shift-by") {
            guard let n = Int64(t) else { throw ToolUsageError("Cannot parse argument '\(t)' of option shift-by") }
            return .shiftBy(n)
        }
        if let t = a.value("to-datetime") { return .toDatetime(try ResetOffsetsPlan.parseDateTime(t)) }
        if let t = a.value("by-duration") { return .byDuration(now - (try ResetOffsetsPlan.parseDuration(t))) }
        if let t = a.value("from-file") { return .fromFile(t) }
        if a.has("to-current") { return .toCurrent }
        throw ToolUsageError("Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]]")
    }
}

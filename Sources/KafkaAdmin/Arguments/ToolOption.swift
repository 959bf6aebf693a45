/// One option a Kafka tool accepts, as its joptsimple parser declares it: `--name` alone (`flag`),
/// `--name VALUE` / `--name=VALUE` (`required`), or with a value only when the next word is not an
/// option (`optional`, as `--state` of kafka-consumer-groups). `separator` splits each value
/// (`--delete-config a,b` of kafka-configs).
///
/// Invariant: `description` is how Kafka's messages name the option, joptsimple's `[name]`.
public struct ToolOption: Hashable, Sendable {
    public enum Argument: Hashable, Sendable { case flag, required, optional }

    public var name: String
    public var argument: Argument
    public var help: String
    public var valueName: String?
    public var separator: Character?

    public init(_ name: String, _ argument: Argument = .flag, help: String, valueName: String? = nil, separator: Character? = nil) {
        self.name = name
        self.argument = argument
        self.help = help
        self.valueName = valueName
        self.separator = separator
    }

    public var description: String { "[\(name)]" }
}

/// A usage error: Kafka prints the message and the option table to standard error and exits 1.
public struct ToolUsageError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A failure the tool reports in its own words (exit 1), without the option table.
public struct ToolFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

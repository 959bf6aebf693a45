/// A command line parsed against a tool's options, keeping the order of every occurrence (kafka-configs
/// pairs `--entity-name`/`--entity-default` with `--entity-type` by order) and the words that are not
/// options (`positionals`, e.g. the commands given to `metadata-shell`).
///
/// Parsing follows joptsimple: `--name=value` or `--name value`; a flag given a value, an unknown
/// option or a missing value is a `ToolUsageError` with joptsimple's wording; `--` ends the options.
public struct ToolArguments: Sendable {
    public struct Occurrence: Hashable, Sendable {
        public var name: String
        public var value: String?
    }

    public private(set) var occurrences: [Occurrence] = []
    public private(set) var positionals: [String] = []

    public init(parsing args: [String], options: [ToolOption]) throws(ToolUsageError) {
        var byName: [String: ToolOption] = [:]
        for o in options { byName[o.name] = o }
        var i = 0
        var optionsEnded = false
        while i < args.count {
            let word = args[i]
            i += 1
            if optionsEnded || !word.hasPrefix("--") || word == "--" {
                if word == "--" && !optionsEnded { optionsEnded = true; continue }
                positionals.append(word)
                continue
            }
            let body = word.dropFirst(2)
            let name: String
            var inline: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                inline = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
            }
            guard let option = byName[name] else { throw ToolUsageError("\(name) is not a recognized option") }
            switch option.argument {
            case .flag:
                if inline != nil { throw ToolUsageError("Option \(option.description) does not accept arguments") }
                occurrences.append(Occurrence(name: name, value: nil))
            case .required:
                var value = inline
                if value == nil {
                    guard i < args.count else { throw ToolUsageError("Option \(option.description) requires an argument") }
                    value = args[i]
                    i += 1
                }
                append(option, value!)
            case .optional:
                var value = inline
                if value == nil, i < args.count, !args[i].hasPrefix("--") {
                    value = args[i]
                    i += 1
                }
                if let value { append(option, value) } else { occurrences.append(Occurrence(name: name, value: nil)) }
            }
        }
    }

    private mutating func append(_ option: ToolOption, _ value: String) {
        if let separator = option.separator {
            for part in value.split(separator: separator, omittingEmptySubsequences: false) {
                occurrences.append(Occurrence(name: option.name, value: String(part)))
            }
        } else {
            occurrences.append(Occurrence(name: option.name, value: value))
        }
    }

    public func has(_ name: String) -> Bool { occurrences.contains { $0.name == name } }

    /// The first value given to `name` (joptsimple's `valueOf`).
    public func value(_ name: String) -> String? { occurrences.first { $0.name == name && $0.value != nil }?.value }

    /// Every value given to `name`, in order (joptsimple's `valuesOf`).
    public func values(_ name: String) -> [String] { occurrences.filter { $0.name == name }.compactMap(\.value) }

    public func integer(_ name: String) throws(ToolUsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let n = Int(text) else { throw ToolUsageError("Cannot parse argument '\(text)' of option \(name)") }
        return n
    }

    /// The names given among `names`, in the order of `names`.
    public func given(_ names: [String]) -> [String] { names.filter(has) }
}

/// The checks of Kafka's `CommandLineUtils`, with its messages (options named joptsimple's way, `[name]`).
extension ToolArguments {
    /// `checkRequiredArgs`: each of `names` must be given.
    public func require(_ names: String...) throws(ToolUsageError) {
        for name in names where !has(name) { throw ToolUsageError("Missing required argument \"[\(name)]\"") }
    }

    /// `checkInvalidArgs`: when `used` is given, none of `invalid` may be.
    public func refuse(_ invalid: [String], with used: String) throws(ToolUsageError) {
        guard has(used) else { return }
        for name in invalid where has(name) {
            throw ToolUsageError("Option \"[\(used)]\" can't be used with option \"[\(name)]\"")
        }
    }
}

/// The option table printed with a usage error or for `--help`, as joptsimple lays it out: the option
/// with its value name, then its description.
public enum ToolHelp {
    public static func table(_ options: [ToolOption]) -> String {
        let rows = options.sorted { $0.name < $1.name }.map { o -> (String, String) in
            let value: String
            switch o.argument {
            case .flag: value = ""
            case .required: value = " <String: \(o.valueName ?? o.name)>"
            case .optional: value = " [String: \(o.valueName ?? o.name)]"
            }
            return ("--\(o.name)" + value, o.help)
        }
        let width = 41
        var lines = [pad("Option", width) + "Description", pad("------", width) + "-----------"]
        for (left, right) in rows {
            if left.count < width { lines.append(pad(left, width) + right) } else { lines.append(left); lines.append(pad("", width) + right) }
        }
        return lines.joined(separator: "\n")
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

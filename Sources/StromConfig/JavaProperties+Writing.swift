extension JavaProperties {
    /// `key=value` lines sorted by key, escaped so that `parse` reads back the same pairs:
    /// backslashes, line breaks, tabs and form feeds everywhere; `=`, `:`, spaces, `#` and `!` in keys;
    /// a value's leading spaces.
    public static func render(_ properties: [String: String]) -> String {
        properties.keys.sorted().map { key in
            escape(key, isKey: true) + "=" + escape(properties[key]!, isKey: false) + "\n"
        }.joined()
    }

    private static func escape(_ text: String, isKey: Bool) -> String {
        var out = ""
        var leading = true
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0C}": out += "\\f"
            case " " where isKey || leading: out += "\\ "
            default:
                if isKey && "=:#!".contains(c) { out += "\\" }
                out.append(c)
            }
            if c != " " { leading = false }
        }
        return out
    }
}

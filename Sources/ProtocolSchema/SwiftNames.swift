/// Swift spellings of schema names: types keep the schema's name, properties are lower camel case
/// with Swift's acronym style (`ClusterId` → `clusterID`, `TopicIds` → `topicIDs`).
enum SwiftNames {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "catch", "false", "is", "nil",
        "super", "self", "Self", "throw", "throws", "true", "try", "Type", "Any", "some", "any",
    ]

    /// `ClusterId` → `clusterID`; `ISR` → `isr`; `IsolationLevel` → `isolationLevel`.
    static func property(_ schemaName: String) -> String {
        var chars = Array(schemaName)
        // Lower the leading run of capitals, keeping the last one when a lowercase letter follows it.
        var i = 0
        while i < chars.count, chars[i].isUppercase {
            let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
            if i > 0 && nextIsLower { break }
            chars[i] = Character(chars[i].lowercased())
            i += 1
        }
        var name = String(chars)
        name = acronymID(name)
        return name
    }

    /// Replaces a word `Id`/`Ids` (preceded by a lowercase letter or digit, followed by a capital or the end)
    /// with `ID`/`IDs`.
    private static func acronymID(_ s: String) -> String {
        let c = Array(s)
        var out = ""
        var i = 0
        while i < c.count {
            if i > 0, c[i] == "I", i + 1 < c.count, c[i + 1] == "d", c[i - 1].isLowercase || c[i - 1].isNumber {
                let after = i + 2
                if after == c.count || c[after].isUppercase {
                    out += "ID"; i += 2; continue
                }
                if c[after] == "s", after + 1 == c.count || c[after + 1].isUppercase {
                    out += "IDs"; i += 3; continue
                }
            }
            out.append(c[i])
            i += 1
        }
        return out
    }

    /// A property name safe to declare and to use after a dot.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// `UNKNOWN_SERVER_ERROR` → `unknownServerError`; `UNKNOWN_TOPIC_ID` → `unknownTopicID`.
    static func fromScreamingSnake(_ s: String) -> String {
        let parts = s.lowercased().split(separator: "_")
        guard let first = parts.first else { return s }
        return String(first) + parts.dropFirst().map { word -> String in
            switch word {
            case "id": return "ID"
            case "ids": return "IDs"
            default: return word.prefix(1).uppercased() + word.dropFirst()
            }
        }.joined()
    }

    /// A Swift string literal.
    static func literal(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

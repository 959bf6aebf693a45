/// Java `.properties` text, as `server.properties` files are written.
///
/// `key=value`, `key: value` or `key value`; `#` and `!` start comment lines; a line ending in an
/// odd number of backslashes continues on the next; `\t`, `\n`, `\r`, `\f`, `\uXXXX` and `\<char>`
/// escapes are unescaped. Later keys override earlier ones, as in Java.
public enum JavaProperties {
    public struct Entry: Hashable, Sendable {
        public var key: String
        public var value: String
        public var line: Int
    }

    public static func parse(_ text: String) -> [Entry] {
        var entries: [Entry] = []
        var logical = ""
        var startLine = 0
        var continuing = false
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if continuing {
                line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
            } else {
                line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
                if line.isEmpty || line.first == "#" || line.first == "!" { continue }
                startLine = index + 1
                logical = ""
            }
            let trailingBackslashes = line.reversed().prefix(while: { $0 == "\\" }).count
            if trailingBackslashes % 2 == 1 {
                logical += line.dropLast()
                continuing = true
                continue
            }
            logical += line
            continuing = false
            entries.append(split(logical, line: startLine))
        }
        if continuing { entries.append(split(logical, line: startLine)) }
        return entries
    }

    private static func split(_ line: String, line number: Int) -> Entry {
        var key = ""
        var rest = Substring(line)
        var escaped = false
        while let c = rest.first {
            if escaped { key.append(c); escaped = false; rest = rest.dropFirst(); continue }
            if c == "\\" { key.append(c); escaped = true; rest = rest.dropFirst(); continue }
            if c == "=" || c == ":" || c == " " || c == "\t" || c == "\u{0C}" { break }
            key.append(c)
            rest = rest.dropFirst()
        }
        rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
        if let c = rest.first, c == "=" || c == ":" {
            rest = rest.dropFirst().drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
        }
        return Entry(key: unescape(key), value: unescape(String(rest)), line: number)
    }

    private static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var chars = Array(s)[...]
        while let c = chars.popFirst() {
            guard c == "\\", let next = chars.popFirst() else { out.append(c); continue }
            switch next {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "f": out.append("\u{0C}")
            case "u":
                let hex = String(chars.prefix(4))
                if hex.count == 4, let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) {
                    out.unicodeScalars.append(scalar)
                    chars = chars.dropFirst(4)
                } else {
                    out.append("u")
                }
            default: out.append(next)
            }
        }
        return out
    }
}

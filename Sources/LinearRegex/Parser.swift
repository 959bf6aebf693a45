/// A parsed pattern.
indirect enum Node {
    case empty
    case scalars(ScalarSet)
    case any(newline: Bool)
    case assertion(Assertion)
    case concat([Node])
    case alternate([Node])
    /// `max` nil: unbounded.
    case repetition(Node, min: Int, max: Int?)
}

/// Recursive descent over RE2's grammar: alternation of concatenations of quantified atoms. Flags set by
/// `(?i)` last to the end of the enclosing group.
struct Parser {
    /// Deeper nesting of groups is refused (each level is a few stack frames here and when compiling).
    static let maxDepth = 200

    private let s: [Unicode.Scalar]
    private var i = 0
    private var depth = 0
    private var flags = Flags()
    private var groupNames: Set<String> = []

    struct Flags {
        var caseInsensitive = false
        var multiline = false
        var dotMatchesNewline = false
        var ungreedy = false
    }

    init(_ scalars: [Unicode.Scalar]) {
        s = scalars
    }

    mutating func parse() throws(LinearRegex.SyntaxError) -> Node {
        let node = try alternation()
        if i < s.count { throw error("unexpected ) at position \(i)") }
        return node
    }

    private func error(_ message: String) -> LinearRegex.SyntaxError {
        LinearRegex.SyntaxError(message: message)
    }

    private var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

    /// Consumes `c` if it comes next.
    private mutating func take(_ c: Unicode.Scalar) -> Bool {
        guard peek == c else { return false }
        i += 1
        return true
    }
    private func peek(_ ahead: Int) -> Unicode.Scalar? { i + ahead < s.count ? s[i + ahead] : nil }

    private mutating func alternation() throws(LinearRegex.SyntaxError) -> Node {
        var branches = [try concatenation()]
        while take("|") {
            branches.append(try concatenation())
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func concatenation() throws(LinearRegex.SyntaxError) -> Node {
        var items: [Node] = []
        while let c = peek, c != "|", c != ")" {
            if c == "\\", peek(1) == "Q" {
                // \Q...\E: literals, each its own atom (a quantifier after \E applies to the last).
                i += 2
                while let q = peek {
                    if q == "\\", peek(1) == "E" {
                        i += 2
                        break
                    }
                    i += 1
                    let node = literal(q)
                    if peek == "\\", peek(1) == "E" {
                        i += 2
                        items.append(try quantified(node))
                        break
                    }
                    items.append(node)
                }
                continue
            }
            guard let atom = try atom() else { continue }
            items.append(try quantified(atom))
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concat(items)
        }
    }

    /// The atom at `i`; nil for a flags group `(?i)`, which changes the flags and matches nothing.
    private mutating func atom() throws(LinearRegex.SyntaxError) -> Node? {
        let c = s[i]
        switch c {
        case "(":
            return try group()
        case "[":
            return try characterClass()
        case ".":
            i += 1
            return .any(newline: flags.dotMatchesNewline)
        case "^":
            i += 1
            return .assertion(flags.multiline ? .beginLine : .beginText)
        case "$":
            i += 1
            return .assertion(flags.multiline ? .endLine : .endText)
        case "\\":
            return try escape()
        case "*", "+", "?":
            throw error("missing argument to repetition operator: \(c)")
        case "{":
            if repeatCounts(at: i) != nil { throw error("missing argument to repetition operator at position \(i)") }
            i += 1
            return literal(c)
        default:
            i += 1
            return literal(c)
        }
    }

    private func literal(_ c: Unicode.Scalar) -> Node {
        literal(c.value)
    }

    /// A value that may not be a scalar (`\x{D800}`: RE2/J accepts surrogates; no text holds one).
    private func literal(_ value: UInt32) -> Node {
        .scalars(ScalarSet(ranges: [value...value], foldCase: flags.caseInsensitive))
    }

    private mutating func quantified(_ atom: Node) throws(LinearRegex.SyntaxError) -> Node {
        var node = atom
        guard let c = peek else { return node }
        switch c {
        case "*": i += 1; node = .repetition(atom, min: 0, max: nil)
        case "+": i += 1; node = .repetition(atom, min: 1, max: nil)
        case "?": i += 1; node = .repetition(atom, min: 0, max: 1)
        case "{":
            guard let (min, max, end) = repeatCounts(at: i) else { return node }
            guard min <= LinearRegex.maxRepeat, (max ?? 0) <= LinearRegex.maxRepeat, max.map({ $0 >= min }) ?? true else {
                throw error("bad repetition operator: \(String(String.UnicodeScalarView(s[i..<end])))")
            }
            i = end
            node = .repetition(atom, min: min, max: max)
        default:
            return node
        }
        _ = take("?") // lazy: the same language, which is all a whole match asks
        if let next = peek, next == "*" || next == "+" || next == "?" || (next == "{" && repeatCounts(at: i) != nil) {
            throw error("bad repetition operator at position \(i)")
        }
        return node
    }

    /// `{n}`, `{n,}` or `{n,m}` at `start`: the counts and the index after `}`; nil when the text there
    /// is not one (RE2 then takes `{` literally).
    private func repeatCounts(at start: Int) -> (Int, Int?, Int)? {
        var j = start + 1
        func number() -> Int? {
            var value = 0, digits = 0
            // RE2/J refuses leading zeros (`{01}`): then `{` is a literal.
            if j + 1 < s.count, s[j] == "0", (48...57).contains(s[j + 1].value) { return nil }
            while j < s.count, (48...57).contains(s[j].value) {
                value = Swift.min(value * 10 + Int(s[j].value - 48), 100_000)
                digits += 1
                j += 1
            }
            return digits > 0 ? value : nil
        }
        guard let min = number() else { return nil }
        var max: Int? = min
        if j < s.count, s[j] == "," {
            j += 1
            max = j < s.count && s[j] == "}" ? nil : number()
            if max == nil, !(j < s.count && s[j] == "}") { return nil }
        }
        guard j < s.count, s[j] == "}" else { return nil }
        return (min, max, j + 1)
    }

    private mutating func group() throws(LinearRegex.SyntaxError) -> Node? {
        let open = i
        i += 1
        if take("?") {
            if peek == "P", peek(1) == "<" {
                i += 2
                try groupName()
            } else if peek == "<" {
                if peek(1) == "=" || peek(1) == "!" { throw error("invalid or unsupported Perl syntax: lookbehind") }
                i += 1
                try groupName()
            } else {
                var changed = flags
                var negate = false, sawFlag = false, sawAny = false
                while let c = peek, c != ":", c != ")" {
                    switch c {
                    case "i": changed.caseInsensitive = !negate
                    case "m": changed.multiline = !negate
                    case "s": changed.dotMatchesNewline = !negate
                    case "U": changed.ungreedy = !negate
                    case "-":
                        guard !negate else { throw error("invalid or unsupported Perl syntax at position \(open)") }
                        negate = true
                        sawFlag = false
                        i += 1
                        continue
                    default:
                        throw error("invalid or unsupported Perl syntax at position \(open)")
                    }
                    sawFlag = true
                    sawAny = true
                    i += 1
                }
                guard let end = peek, !negate || sawFlag else {
                    throw error("invalid or unsupported Perl syntax at position \(open)")
                }
                i += 1
                if end == ")" {
                    flags = changed
                    return nil
                }
                return try body(of: open, flags: changed)
            }
        }
        return try body(of: open, flags: flags)
    }

    /// A group's name up to `>`: word characters, at least one, not used before.
    private mutating func groupName() throws(LinearRegex.SyntaxError) {
        let start = i
        while let c = peek, c.isASCII, c.properties.isAlphabetic || (48...57).contains(c.value) || c == "_" { i += 1 }
        guard i > start, peek == ">" else { throw error("invalid named capture group at position \(start)") }
        let name = String(String.UnicodeScalarView(s[start..<i]))
        guard groupNames.insert(name).inserted else { throw error("duplicate capture group name: \(name)") }
        i += 1
    }

    /// The group's alternation, up to its `)`, with `inner` flags that end with it.
    private mutating func body(of open: Int, flags inner: Flags) throws(LinearRegex.SyntaxError) -> Node {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("groups nested more than \(Self.maxDepth) deep") }
        let outer = flags
        flags = inner
        let node = try alternation()
        guard take(")") else { throw error("missing closing ) for the group at position \(open)") }
        flags = outer
        depth -= 1
        return node
    }

    private mutating func escape() throws(LinearRegex.SyntaxError) -> Node {
        guard let c = peek(1) else { throw error("trailing \\") }
        switch c {
        case "d", "D", "s", "S", "w", "W":
            i += 2
            return .scalars(ScalarSet(ranges: PerlClass.ranges(c), negated: c.properties.isUppercase))
        case "b": i += 2; return .assertion(.wordBoundary)
        case "B": i += 2; return .assertion(.notWordBoundary)
        case "A": i += 2; return .assertion(.beginText)
        case "z": i += 2; return .assertion(.endText)
        default:
            return literal(try escapedValue())
        }
    }

    /// The value an escape at `i` (the `\`) stands for: control escapes, hex, octal, punctuation.
    private mutating func escapedValue() throws(LinearRegex.SyntaxError) -> UInt32 {
        let at = i
        guard let c = peek(1) else { throw error("trailing \\") }
        i += 2
        func octal(_ c: Unicode.Scalar?) -> UInt32? {
            guard let c, (48...55).contains(c.value) else { return nil }
            return c.value - 48
        }
        switch c {
        case "t": return 0x09
        case "n": return 0x0A
        case "r": return 0x0D
        case "f": return 0x0C
        case "v": return 0x0B
        case "a": return 0x07
        case "1"..."7" where octal(peek) == nil:
            throw error("backreferences are not supported: \\\(c)")
        case "0"..."7":
            var value = c.value - 48
            for _ in 0..<2 {
                guard let d = octal(peek) else { break }
                value = value * 8 + d
                i += 1
            }
            return value
        case "x":
            var digits: [Unicode.Scalar] = []
            if take("{") {
                while let d = peek, d != "}" { digits.append(d); i += 1 }
                guard take("}") else { throw error("invalid escape sequence at position \(at)") }
            } else {
                for _ in 0..<2 {
                    guard let d = peek else { break }
                    digits.append(d)
                    i += 1
                }
                guard digits.count == 2 else { throw error("invalid escape sequence at position \(at)") }
            }
            // Hex digits only (no sign), any number of them, at most U+10FFFF.
            var value: UInt32 = 0
            for d in digits {
                guard d.isASCII, let digit = Int(String(d), radix: 16) else { throw error("invalid escape sequence at position \(at)") }
                value = value * 16 + UInt32(digit)
                guard value <= 0x10FFFF else { throw error("invalid escape sequence at position \(at)") }
            }
            guard !digits.isEmpty else { throw error("invalid escape sequence at position \(at)") }
            return value
        case "p", "P":
            throw error("Unicode classes are not supported: \\\(c)")
        default:
            // RE2/J: an escaped character that is not an ASCII letter or digit is itself (`\_`, `\é`
            // included); other escapes are errors.
            guard !(c.isASCII && (c.properties.isAlphabetic || (48...57).contains(c.value))) else {
                throw error("invalid escape sequence: \\\(c)")
            }
            return c.value
        }
    }

    private mutating func characterClass() throws(LinearRegex.SyntaxError) -> Node {
        let open = i
        i += 1
        let negated = take("^")
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let c = peek else { throw error("missing closing ] for the class at position \(open)") }
            if c == "]", !first {
                i += 1
                break
            }
            first = false
            if c == "[", peek(1) == ":", hasPosixEnd(after: i + 2) {
                ranges += try posixClass()
                continue
            }
            if c == "\\", let e = peek(1), "dDsSwW".unicodeScalars.contains(e) {
                i += 2
                let perl = PerlClass.ranges(e)
                ranges += e.properties.isUppercase ? ScalarSet.complement(perl) : perl
                continue
            }
            let low = try classValue()
            if peek == "-", let after = peek(1), after != "]" {
                i += 1
                let high = try classValue()
                guard high >= low else { throw error("invalid character class range at position \(open)") }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
        return .scalars(ScalarSet(ranges: ScalarSet.normalized(ranges), negated: negated, foldCase: flags.caseInsensitive))
    }

    /// One scalar inside a class: literal or escaped.
    private mutating func classValue() throws(LinearRegex.SyntaxError) -> UInt32 {
        guard let c = peek else { throw error("missing closing ]") }
        if c == "\\" {
            if let e = peek(1), "dDsSwWbBAzQpP".unicodeScalars.contains(e) {
                throw error("invalid escape in a character class range: \\\(e)")
            }
            return try escapedValue()
        }
        i += 1
        return c.value
    }

    /// Whether `:]` occurs from `start` on (RE2/J: otherwise `[:` is two literals).
    private func hasPosixEnd(after start: Int) -> Bool {
        var j = start
        while j + 1 < s.count {
            if s[j] == ":", s[j + 1] == "]" { return true }
            j += 1
        }
        return false
    }

    /// `[:name:]` or `[:^name:]` at `i`.
    private mutating func posixClass() throws(LinearRegex.SyntaxError) -> [ClosedRange<UInt32>] {
        let start = i
        i += 2
        let negate = take("^")
        var name = ""
        while let c = peek, c != ":" {
            name.unicodeScalars.append(c)
            i += 1
        }
        guard peek == ":", peek(1) == "]", let ranges = PerlClass.posix[name] else {
            throw error("invalid character class range at position \(start)")
        }
        i += 2
        return negate ? ScalarSet.complement(ScalarSet.normalized(ranges)) : ranges
    }
}

/// RE2's ASCII classes.
enum PerlClass {
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let space: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0C...0x0D, 0x20...0x20]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]

    /// The ranges of `\d`, `\s`, `\w` for either case of the letter (the uppercase ones negate them).
    static func ranges(_ letter: Unicode.Scalar) -> [ClosedRange<UInt32>] {
        switch letter {
        case "d", "D": digit
        case "s", "S": space
        default: word
        }
    }

    static let posix: [String: [ClosedRange<UInt32>]] = [
        "alnum": [0x30...0x39, 0x41...0x5A, 0x61...0x7A],
        "alpha": [0x41...0x5A, 0x61...0x7A],
        "ascii": [0x00...0x7F],
        "blank": [0x09...0x09, 0x20...0x20],
        "cntrl": [0x00...0x1F, 0x7F...0x7F],
        "digit": [0x30...0x39],
        "graph": [0x21...0x7E],
        "lower": [0x61...0x7A],
        "print": [0x20...0x7E],
        "punct": [0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E],
        "space": [0x09...0x0D, 0x20...0x20],
        "upper": [0x41...0x5A],
        "word": [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A],
        "xdigit": [0x30...0x39, 0x41...0x46, 0x61...0x66],
    ]
}

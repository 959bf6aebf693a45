/// A regular expression in RE2's syntax, matched in time linear in the text: what Kafka matches client
/// patterns with (RE2/J: KIP-848's `SubscribedTopicRegex`, ListTransactions v2's `TransactionalIdPattern`).
///
/// A backtracking engine (Swift's `Regex`, `NSRegularExpression`) takes time exponential in the text for
/// patterns such as `(a+)+b`; a client could pin a coordinator thread with one request. Here the pattern
/// compiles to a Thompson NFA whose states are simulated as a set, one step per Unicode scalar: at most
/// ``maxInstructions`` states per step, whatever the pattern.
///
/// Syntax (RE2's): literals and `\`-escaped punctuation; `.`; classes `[a-z]`, `[^...]`, `[[:alpha:]]`,
/// `\d \D \s \S \w \W` (ASCII, as RE2); `\t \n \r \f \v \a`, `\x41`, `\x{263A}`, octal `\101`; `\Q...\E`;
/// anchors `^ $ \A \z \b \B`; groups `(re)`, `(?:re)`, `(?P<name>re)`, `(?<name>re)`; flags `(?imsU)`,
/// `(?i:re)`, `(?-i)`; alternation; `* + ? {n} {n,} {n,m}`, each optionally lazy (`*?`). Refused as RE2
/// refuses them: backreferences, lookaround, possessive and doubled quantifiers, counts above 1000.
///
/// Where it differs from RE2/J, on purpose: Unicode classes (`\p{L}`) are refused (``SyntaxError`` says
/// so); programs over ``maxInstructions`` states and groups nested over 200 deep are refused; `(?i)`
/// folds by one-scalar lower- and uppercase mappings, where RE2/J follows whole case orbits (the
/// Kelvin sign, long s); a quantifier right after `(?i)` or an empty `\Q\E` is refused, where RE2/J
/// applies it to the atom before.
public struct LinearRegex: Sendable {
    /// The most NFA instructions a pattern may compile to (counted repetitions are expanded).
    public static let maxInstructions = 5_000
    /// The largest count of a counted repetition (RE2's limit).
    public static let maxRepeat = 1_000

    public let pattern: String
    let program: [Instruction]

    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public init(_ pattern: String) throws(SyntaxError) {
        self.pattern = pattern
        var parser = Parser(Array(pattern.unicodeScalars))
        let node = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(node)
        try compiler.append(.match)
        program = compiler.program
    }

    /// Whether the whole of `text` matches (Java's `Matcher.matches()`).
    public func wholeMatch(_ text: String) -> Bool {
        Matcher(program: program, text: Array(text.unicodeScalars)).run().matched
    }

    /// The program's length: the most states a step of the match visits.
    var instructionCount: Int { program.count }
}

/// One NFA state.
enum Instruction: Sendable {
    /// Consumes one scalar in the set.
    case scalar(ScalarSet)
    /// Consumes any scalar, a newline only when `newline`.
    case any(newline: Bool)
    /// Continues at both.
    case split(Int, Int)
    case jump(Int)
    /// Continues at the next instruction when the assertion holds at the current position.
    case assertion(Assertion)
    case match
}

enum Assertion: Sendable {
    case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary
}

/// Scalars as sorted, non-overlapping closed ranges; `negated` inverts; `foldCase` also accepts a
/// scalar whose simple lower- or uppercase mapping is in the ranges.
struct ScalarSet: Sendable {
    var ranges: [ClosedRange<UInt32>]
    var negated = false
    var foldCase = false

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        var found = inRanges(scalar.value)
        if !found, foldCase {
            found = Self.caseVariants(of: scalar).contains { inRanges($0) }
        }
        return found != negated
    }

    private func inRanges(_ value: UInt32) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < value { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].contains(value)
    }

    /// The scalar's simple (one-scalar) lowercase and uppercase mappings.
    static func caseVariants(of scalar: Unicode.Scalar) -> [UInt32] {
        if scalar.isASCII {
            let v = scalar.value
            if (0x41...0x5A).contains(v) { return [v + 0x20] }
            if (0x61...0x7A).contains(v) { return [v - 0x20] }
            return []
        }
        return [scalar.properties.lowercaseMapping, scalar.properties.uppercaseMapping].compactMap { mapping in
            let scalars = mapping.unicodeScalars
            return scalars.count == 1 ? scalars.first!.value : nil
        }
    }

    /// Sorts and merges `ranges`.
    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out
    }

    /// The complement of sorted, merged `ranges` over all scalar values.
    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { out.append(next...(range.lowerBound - 1)) }
            next = range.upperBound &+ 1
            if range.upperBound == 0x10FFFF { return out }
        }
        out.append(next...0x10FFFF)
        return out
    }
}

import SeededRandom
import Testing
@testable import LinearRegex

@Suite struct LinearRegexTests {
    func matches(_ pattern: String, _ text: String) throws -> Bool {
        try LinearRegex(pattern).wholeMatch(text)
    }

    @Test(arguments: [
        // Literals, the whole text only (Java's matches()).
        ("events", "events", true), ("events", "events-1", false), ("events", "xevents", false), ("", "", true), ("", "a", false),
        // Classes and escapes.
        ("orders-[0-9]+", "orders-17", true), ("orders-[0-9]+", "orders-", false), ("[^a-c]x", "dx", true), ("[^a-c]x", "bx", false),
        ("[]a]+", "]a]", true), ("[a-]+", "-a-", true), ("[\\d.]+", "1.2", true), ("[[:alpha:]_]+", "ab_C", true),
        ("[[:^digit:]]", "a", true), ("[[:^digit:]]", "5", false), ("\\d\\s\\w", "1 _", true), ("\\D\\S\\W", "a-.", true),
        ("\\W", "_", false), ("a\\.b", "a.b", true), ("\\_\\ ", "_ ", true), ("a\\.b", "axb", false), ("\\x41\\x{42}\\103", "ABC", true),
        ("\\t\\n", "\t\n", true), ("\\Qa.b*\\E+", "a.b**", true), ("\\Qa.b\\E", "axb", false), ("\\0", "\u{0}", true),
        // Dot and newlines.
        (".", "\n", false), ("(?s).", "\n", true), ("a.c", "abc", true),
        // Alternation, groups, names.
        ("a|b|", "", true), ("a|b|", "b", true), ("(?:ab|cd)+", "abcdab", true), ("(?P<t>x)(?<u>y)", "xy", true), ("(ab|a)(bc|c)", "abc", true),
        // Quantifiers, lazy ones meaning the same here.
        ("a{2}", "aa", true), ("a{2}", "aaa", false), ("a{2,}", "aaaa", true), ("a{2,3}", "aaaa", false), ("a{0,2}b", "b", true),
        ("a*?b+?c??", "aabbc", true), ("a{,2}", "a{,2}", true), ("x{", "x{", true), ("(a*)*b", "aab", true), ("(|a)*", "aaa", true),
        // Anchors.
        ("^abc$", "abc", true), ("a^b", "ab", false), ("(?m)a$\\n^b", "a\nb", true), ("a$\\nb", "a\nb", false),
        ("\\Aab\\z", "ab", true), ("\\bab\\b", "ab", true), ("a\\Bb", "ab", true), ("a\\bb", "ab", false), ("^*a", "a", true),
        // Flags.
        ("(?i)events", "EvEnTs", true), ("(?i:a)b", "Ab", true), ("(?i:a)b", "AB", false), ("(?i)[a-c]+", "AbC", true),
        ("(?i)[^a]", "A", false), ("(?i)straße", "STRASSE", false), ("(?i)é", "É", true), ("a(?i)b(?-i)c", "aBc", true),
        ("a(?i)b(?-i)c", "aBC", false), ("((?i)a)a", "Aa", true), ("((?i)a)a", "AA", false),
        // Unicode scalars, one at a time.
        ("..", "日本", true), ("[日-本]+", "日本", true),
        // RE2/J's corners: leading zeros make `{` a literal, `(?)` is nothing, escaped non-ASCII is itself,
        // `[:` without `:]` is two literals, hex escapes take any number of digits, surrogates are values.
        ("a{01}", "a{01}", true), ("a{01}", "a", false), ("x{1,02}", "x{1,02}", true), ("a{0}", "", true),
        ("(?)a", "a", true), ("\\é", "é", true), ("[[:a]+", "[:a", true), ("\\x{000000041}", "A", true),
        ("\\x{D800}|b", "b", true), ("[\\x{D7FF}-\\x{E000}]", "\u{E000}", true),
    ])
    func matchesAsRE2Does(_ pattern: String, _ text: String, _ expected: Bool) throws {
        #expect(try matches(pattern, text) == expected, "\(pattern) on \(text.debugDescription)")
    }

    @Test(arguments: [
        "(a)\\1", "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "a*+", "a**", "a+*", "a??*", "*a", "+", "?", "{2}", "a{1001}",
        "a{2,1001}", "a{3,2}", "(a", "a)", "())", "[a", "[z-a]", "[a-\\d]", "\\p{L}", "\\pL", "\\Z", "\\", "\\q",
        "(?P<>a)", "(?P<a", "(?P<n>a)(?P<n>b)", "(?x)a", "(?i-)", "\\x{+41}", "\\x+1", "(?#c)", "[[:foo:]]", "\\xZZ", "\\x{110000}", "\\8",
    ])
    func refusesWhatRE2Refuses(_ pattern: String) {
        #expect(throws: LinearRegex.SyntaxError.self, "\(pattern)") { try LinearRegex(pattern) }
    }

    @Test func refusesProgramsTooLargeAndNestingTooDeep() throws {
        // Repetitions of nothing compile to nothing, at once (they appended nothing, so the instruction
        // cap alone did not stop 10^12 copies of them).
        let nothing = try LinearRegex("((((){1000}){1000}){1000}){1000}(?:){1000}")
        #expect(nothing.wholeMatch("") && !nothing.wholeMatch("a") && nothing.instructionCount == 1)
        _ = try LinearRegex("a{1000}b{1000}")
        #expect(throws: LinearRegex.SyntaxError.self) { try LinearRegex("(a{1000}){6}") }
        #expect(throws: LinearRegex.SyntaxError.self) { try LinearRegex("((((a{100}){100}){100}){100}){100}") }
        _ = try LinearRegex(String(repeating: "(", count: Parser.maxDepth) + "a" + String(repeating: ")", count: Parser.maxDepth))
        #expect(throws: LinearRegex.SyntaxError.self) {
            try LinearRegex(String(repeating: "(", count: Parser.maxDepth + 1) + "a" + String(repeating: ")", count: Parser.maxDepth + 1))
        }
    }

    /// The patterns that take a backtracking engine exponential time (Swift's `Regex` needs 11 s for
    /// `(a+)+b` on 18 a's) visit at most program-length states per text position here.
    @Test(arguments: ["(a+)+b", "(a|a)*b", "(a*)*b", "(.*)*x", "(a|aa)+$b", "(\\w+\\s?)+!", "(a{1,10}){1,10}b"])
    func catastrophicPatternsStayLinear(_ pattern: String) throws {
        let regex = try LinearRegex(pattern)
        for length in [10, 100, 2_000] {
            let text = String(repeating: "a", count: length) + (pattern.hasSuffix("!") ? "a" : "c")
            let (matched, steps) = Matcher(program: regex.program, text: Array(text.unicodeScalars)).run()
            #expect(!matched)
            #expect(steps <= (text.unicodeScalars.count + 1) * regex.instructionCount, "\(pattern): \(steps) steps for \(length)")
        }
    }

    /// Random patterns over a small grammar whose meaning Swift's `Regex` shares, on random short texts:
    /// both must say the same. Swift's engine backtracks, and looped for good on a group that can match
    /// nothing under an unbounded quantifier inside another: groups here take bounded quantifiers only.
    @Test func agreesWithSwiftRegexOnRandomPatterns() throws {
        var random = SplitMix64(seed: 0x5EED_2E6E)
        var compared = 0, matched = 0
        for _ in 0..<600 {
            let pattern = Self.randomPattern(&random, depth: 3)
            let swift = try Regex(pattern)
            let ours = try LinearRegex(pattern)
            for _ in 0..<20 {
                let text = String((0..<Int(random.below(7))).map { _ in "abc".randomElement(using: &random)! })
                let expected = (try swift.wholeMatch(in: text)) != nil
                #expect(ours.wholeMatch(text) == expected, "\(pattern) on \(text.debugDescription)")
                compared += 1
                if expected { matched += 1 }
            }
        }
        #expect(matched > compared / 20 && matched < compared * 19 / 20, "the inputs exercise both outcomes: \(matched) of \(compared)")
    }

    static func randomPattern(_ random: inout SplitMix64, depth: Int) -> String {
        let atoms = ["a", "b", "c", ".", "[ab]", "[^a]", "[a-b]", "\\w"]
        func quantified(_ depth: Int) -> String {
            if depth > 0, random.below(3) == 0 {
                let group = "(" + pattern(depth - 1) + ")"
                return group + ["", "?", "{1,2}", "{2}", "{0,2}?"][Int(random.below(5))]
            }
            let base = atoms[Int(random.below(atoms.count))]
            switch random.below(9) {
            case 0: return base + "*"
            case 1: return base + "+"
            case 2: return base + "?"
            case 3: return base + "{1,2}"
            case 4: return base + "{2}"
            case 5: return base + "*?"
            default: return base
            }
        }
        func pattern(_ depth: Int) -> String {
            let branches = (0..<(random.below(4) == 0 ? 2 : 1)).map { _ in
                (0..<(1 + Int(random.below(3)))).map { _ in quantified(depth) }.joined()
            }
            return branches.joined(separator: "|")
        }
        return pattern(depth)
    }
}

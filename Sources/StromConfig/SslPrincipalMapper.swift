import Foundation

/// `ssl.principal.mapping.rules` as Kafka's `SslPrincipalMapper` applies them to a client certificate's
/// distinguished name (RFC 2253, e.g. `CN=alice,OU=eng,O=Acme,C=US`): a comma-separated list of
///
///     RULE:<pattern>/<replacement>/[L|U]     the whole name must match the regular expression; the
///                                            result is the replacement (with $1 ...), lower- or
///                                            upper-cased with L or U
///     DEFAULT                                the name as it is
///
/// The first rule that applies decides; when none does, the certificate is refused.
public struct SslPrincipalMapper: Sendable {
    public enum Rule: Sendable {
        case `default`
        case replace(pattern: String, replacement: String, caseChange: Character?)
    }

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let rules: [Rule]

    public init(rules text: String) throws(Invalid) {
        var rules: [Rule] = []
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        while !rest.isEmpty {
            rest = rest.drop { $0 == "," || $0.isWhitespace }
            if rest.isEmpty { break }
            if rest.hasPrefix("DEFAULT") {
                rules.append(.default)
                rest = rest.dropFirst("DEFAULT".count)
                continue
            }
            guard rest.hasPrefix("RULE:") else { throw Invalid(description: "`\(rest)` is not RULE:pattern/replacement/[LU] or DEFAULT") }
            rest = rest.dropFirst(5)
            let (pattern, afterPattern) = try Self.part(rest)
            let (replacement, afterReplacement) = try Self.part(afterPattern)
            var caseChange: Character?
            rest = afterReplacement
            if let c = rest.first, c == "L" || c == "U" {
                caseChange = c
                rest = rest.dropFirst()
            }
            guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw Invalid(description: "`\(pattern)` is not a regular expression") }
            rules.append(.replace(pattern: pattern, replacement: replacement, caseChange: caseChange))
        }
        guard !rules.isEmpty else { throw Invalid(description: "no rule given") }
        self.rules = rules
    }

    /// Text up to the next unescaped "/", and what follows that "/".
    private static func part(_ s: Substring) throws(Invalid) -> (String, Substring) {
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "\\", s.index(after: i) < s.endIndex {
                out.append(c)
                out.append(s[s.index(after: i)])
                i = s.index(i, offsetBy: 2)
                continue
            }
            if c == "/" { return (out, s[s.index(after: i)...]) }
            out.append(c)
            i = s.index(after: i)
        }
        throw Invalid(description: "a RULE needs pattern/replacement/")
    }

    /// The principal name for `distinguishedName`, or nil when no rule applies.
    public func map(_ distinguishedName: String) -> String? {
        for rule in rules {
            switch rule {
            case .default:
                return distinguishedName
            case let .replace(pattern, replacement, caseChange):
                guard let regex = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { continue }
                let whole = NSRange(distinguishedName.startIndex..., in: distinguishedName)
                guard regex.firstMatch(in: distinguishedName, range: whole) != nil else { continue }
                let inner = try! NSRegularExpression(pattern: pattern)
                let replaced = inner.stringByReplacingMatches(in: distinguishedName, range: whole, withTemplate: replacement)
                switch caseChange {
                case "L": return replaced.lowercased()
                case "U": return replaced.uppercased()
                default: return replaced
                }
            }
        }
        return nil
    }
}

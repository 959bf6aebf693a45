/// One login module of a JAAS configuration as Kafka's `sasl.jaas.config` holds it:
///
///     <login module class> <required|requisite|sufficient|optional> [<key>=<value> ...];
///
/// Values are bare words or double-quoted strings (a backslash escapes the next character). Kafka
/// takes exactly one module per `sasl.jaas.config` value.
public struct JaasConfig: Sendable, Hashable {
    public var loginModule: String
    public var controlFlag: String
    public var options: [String: String]

    public init(loginModule: String, controlFlag: String, options: [String: String]) {
        self.loginModule = loginModule
        self.controlFlag = controlFlag
        self.options = options
    }

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public static let plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
    public static let scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"

    public init(parsing text: String) throws(Invalid) {
        var tokens: [Token] = []
        do { tokens = try Self.tokenize(text) } catch { throw error }
        guard tokens.count >= 3, case let .word(module) = tokens[0], case let .word(flag) = tokens[1] else {
            throw Invalid(description: "expected `<login module> <control flag> <options>;`")
        }
        guard ["required", "requisite", "sufficient", "optional"].contains(flag.lowercased()) else {
            throw Invalid(description: "`\(flag)` is not a control flag (required, requisite, sufficient, optional)")
        }
        var options: [String: String] = [:]
        var i = 2
        while i < tokens.count {
            switch tokens[i] {
            case .semicolon:
                guard i == tokens.count - 1 else { throw Invalid(description: "one login module expected, found more") }
                self.init(loginModule: module, controlFlag: flag.lowercased(), options: options)
                return
            case let .word(key):
                guard i + 2 < tokens.count, tokens[i + 1] == .equals else { throw Invalid(description: "option `\(key)` has no `=value`") }
                switch tokens[i + 2] {
                case let .word(v), let .quoted(v): options[key] = v
                default: throw Invalid(description: "option `\(key)` has no value")
                }
                i += 3
            default:
                throw Invalid(description: "unexpected token in the options")
            }
        }
        throw Invalid(description: "the login module must end with `;`")
    }

    enum Token: Equatable { case word(String), quoted(String), equals, semicolon }

    static func tokenize(_ text: String) throws(Invalid) -> [Token] {
        var out: [Token] = []
        var chars = Array(text)[...]
        while let c = chars.first {
            if c.isWhitespace { chars = chars.dropFirst(); continue }
            if c == "=" { out.append(.equals); chars = chars.dropFirst(); continue }
            if c == ";" { out.append(.semicolon); chars = chars.dropFirst(); continue }
            if c == "\"" {
                chars = chars.dropFirst()
                var value = ""
                var closed = false
                while let d = chars.first {
                    chars = chars.dropFirst()
                    if d == "\\", let next = chars.first { value.append(next); chars = chars.dropFirst(); continue }
                    if d == "\"" { closed = true; break }
                    value.append(d)
                }
                guard closed else { throw Invalid(description: "unterminated quoted value") }
                out.append(.quoted(value))
                continue
            }
            var word = ""
            while let d = chars.first, !d.isWhitespace, d != "=", d != ";", d != "\"" {
                word.append(d)
                chars = chars.dropFirst()
            }
            out.append(.word(word))
        }
        return out
    }
}

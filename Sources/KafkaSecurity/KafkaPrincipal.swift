/// Who a connection acts as, in Kafka's `Type:Name` form (`User:alice`). Connections on a PLAINTEXT
/// or SSL listener without a client certificate are `User:ANONYMOUS`, as in Kafka.
public struct KafkaPrincipal: Sendable, Hashable, CustomStringConvertible {
    public var type: String
    public var name: String

    public init(type: String = "User", name: String) {
        self.type = type
        self.name = name
    }

    public static let anonymous = KafkaPrincipal(name: "ANONYMOUS")

    /// Parses `Type:Name` (as `super.users` lists principals); nil without a type.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return nil }
        self.init(type: String(text[..<colon]), name: String(text[text.index(after: colon)...]))
    }

    public var description: String { "\(type):\(name)" }
}

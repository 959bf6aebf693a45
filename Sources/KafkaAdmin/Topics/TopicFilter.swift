import Foundation

/// Which topics `--topic` names, as Kafka's `TopicFilter.IncludeList`: the value trimmed, commas read
/// as `|`, spaces and surrounding quotes dropped, then matched as a Java regular expression against the
/// whole name; internal topics (`__consumer_offsets`, `__transaction_state`) are left out when
/// `excludeInternal`.
public struct TopicFilter: Sendable {
    public static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state"]

    public let regex: String
    private let expression: NSRegularExpression

    public init(_ raw: String) throws(ToolFailure) {
        var r = raw.trimmedWhitespace().replacingOccurrences(of: ",", with: "|").replacingOccurrences(of: " ", with: "")
        while let f = r.first, f == "\"" || f == "'" { r.removeFirst() }
        while let l = r.last, l == "\"" || l == "'" { r.removeLast() }
        regex = r
        do { expression = try NSRegularExpression(pattern: "^(?:" + r + ")$") } catch { throw ToolFailure("\(r) is an invalid regex.") }
    }

    public func allows(_ topic: String, excludeInternal: Bool) -> Bool {
        let range = NSRange(topic.startIndex..., in: topic)
        guard expression.firstMatch(in: topic, range: range) != nil else { return false }
        return !(excludeInternal && Self.internalTopics.contains(topic))
    }

    /// `doGetTopics`: the names `filter` allows (all but internal ones when `excludeInternal` and no filter).
    public static func select(_ names: [String], filter: String?, excludeInternal: Bool) throws(ToolFailure) -> [String] {
        guard let filter else { return names.filter { !(excludeInternal && internalTopics.contains($0)) } }
        let f = try TopicFilter(filter)
        return names.filter { f.allows($0, excludeInternal: excludeInternal) }
    }
}

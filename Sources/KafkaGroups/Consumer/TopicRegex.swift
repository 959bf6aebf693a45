import LinearRegex

/// Subscription by regular expression (ConsumerGroupHeartbeat v1, `SubscribedTopicRegex`).
///
/// Kafka matches with RE2/J against the whole topic name (`matcher(topic).matches()`), never matching
/// internal topics; here `LinearRegex` does, with RE2's syntax and in time linear in the name, so no
/// pattern a member sends can stall the coordinator. A pattern that does not compile (RE2's syntax
/// errors, backreferences, lookaround) is refused with INVALID_REGULAR_EXPRESSION when the member sends it.
enum TopicRegex {
    static func isValid(_ pattern: String) -> Bool {
        (try? LinearRegex(pattern)) != nil
    }

    /// The non-internal topic names of `topics` that `pattern` matches whole.
    static func matches(_ pattern: String, in topics: TopicsImage) -> Set<String> {
        matches([pattern], in: topics)
    }

    /// The non-internal topic names of `topics` that one of `patterns` matches whole: each pattern
    /// compiled once, the names walked once. Patterns that do not compile match nothing.
    static func matches(_ patterns: Set<String>, in topics: TopicsImage) -> Set<String> {
        let regexes = patterns.compactMap { try? LinearRegex($0) }
        guard !regexes.isEmpty else { return [] }
        var out: Set<String> = []
        for name in topics.byName.keys where !TopicsImage.internalTopics.contains(name) {
            if regexes.contains(where: { $0.wholeMatch(name) }) { out.insert(name) }
        }
        return out
    }
}

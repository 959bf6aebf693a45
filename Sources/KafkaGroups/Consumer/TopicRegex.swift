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
        guard let regex = try? LinearRegex(pattern) else { return [] }
        var out: Set<String> = []
        for name in topics.byName.keys where !TopicsImage.internalTopics.contains(name) {
            if regex.wholeMatch(name) { out.insert(name) }
        }
        return out
    }
}

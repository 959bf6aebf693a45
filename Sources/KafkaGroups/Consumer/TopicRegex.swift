/// Subscription by regular expression (ConsumerGroupHeartbeat v1, `SubscribedTopicRegex`).
///
/// Kafka matches with RE2/J against the whole topic name (`matcher(topic).matches()`), never matching
/// internal topics; here Swift's `Regex` does the matching, whose syntax agrees with RE2's for the
/// patterns clients send (classes, alternation, quantifiers, anchors). A pattern that does not compile
/// is refused with INVALID_REGULAR_EXPRESSION when the member sends it.
enum TopicRegex {
    static func isValid(_ pattern: String) -> Bool {
        (try? Regex(pattern)) != nil
    }

    /// The non-internal topic names of `topics` that `pattern` matches whole.
    static func matches(_ pattern: String, in topics: TopicsImage) -> Set<String> {
        guard let regex = try? Regex(pattern) else { return [] }
        var out: Set<String> = []
        for name in topics.byName.keys where !TopicsImage.internalTopics.contains(name) {
            if (try? regex.wholeMatch(in: name)) != nil { out.insert(name) }
        }
        return out
    }
}

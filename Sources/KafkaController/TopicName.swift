/// Kafka's rules for topic names: 1 to 249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
public enum TopicName {
    public static let maxLength = 249

    /// Nil when `name` is a legal topic name, else why not.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "topic name is empty" }
        if name == "." || name == ".." { return "topic name cannot be `.` or `..`" }
        if name.utf8.count > maxLength { return "topic name is longer than \(maxLength) characters" }
        let legal = name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        return legal ? nil : "topic name `\(name)` contains characters other than ASCII letters, digits, '.', '_' and '-'"
    }

    /// Kafka treats '.' and '_' as the same in metric names, so two topics differing only there collide.
    public static func collisionKey(_ name: String) -> String {
        String(name.map { $0 == "." ? "_" : $0 })
    }

    public static let internalTopics: Set<String> = ["__consumer_offsets", "__transaction_state", "__cluster_metadata"]
}

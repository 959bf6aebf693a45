import KafkaProtocol

/// The text kafka-consumer-groups.sh prints, byte for byte where 3.9 is deliberate (its tables start
/// each line with a newline and the offsets table ends without one). Where 3.9's `printf`s lost line
/// breaks (the reset-offsets and delete-offsets tables ran their rows together), the layout is 4.0's:
/// one row per line. Pure.
public enum ConsumerGroupFormat {
    /// Java's `%-Ns`.
    static func left(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func cell(_ v: CustomStringConvertible?) -> String { v.map { "\($0)" } ?? "-" }

    /// `--describe` (offsets view) of one group: "\nGROUP TOPIC ..." then "\n<row>" per partition.
    public static func offsets(_ rows: [PartitionAssignmentState]) -> String {
        var g = 15, t = 15, c = 15, h = 15
        for r in rows {
            g = max(g, r.group.count)
            t = max(t, cell(r.topic).count)
            c = max(c, cell(r.consumerID).count)
            h = max(h, cell(r.host).count)
        }
        func line(_ v: [String]) -> String {
            "\n" + left(v[0], g) + " " + left(v[1], t) + " " + left(v[2], 10) + " " + left(v[3], 15) + " " + left(v[4], 15) + " "
                + left(v[5], 15) + " " + left(v[6], c) + " " + left(v[7], h) + " " + v[8]
        }
        var s = line(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"])
        for r in rows {
            s += line([r.group, cell(r.topic), cell(r.partition), cell(r.offset), cell(r.logEndOffset), cell(r.lag), cell(r.consumerID), cell(r.host), cell(r.clientID)])
        }
        return s
    }

    /// `--describe --members [--verbose]` of one group. `ASSIGNMENT` lists each topic's partitions in
    /// parentheses, as 3.9 does (without the topic's name).
    public static func members(_ group: GroupDescription, verbose: Bool) -> String {
        var g = 15, c = 15, gi = 17, h = 15, cl = 15
        var withInstance = false
        for m in group.members {
            g = max(g, group.groupID.count)
            c = max(c, m.memberID.count)
            gi = max(gi, (m.groupInstanceID ?? "").count)
            h = max(h, m.host.count)
            cl = max(cl, m.clientID.count)
            withInstance = withInstance || !(m.groupInstanceID ?? "").isEmpty
        }
        func row(_ v: [String]) -> String {
            withInstance
                ? left(v[0], g) + " " + left(v[1], c) + " " + left(v[2], gi) + " " + left(v[3], h) + " " + left(v[4], cl) + " " + left(v[5], 15) + " "
                : left(v[0], g) + " " + left(v[1], c) + " " + left(v[3], h) + " " + left(v[4], cl) + " " + left(v[5], 15) + " "
        }
        var s = "\n" + row(["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]) + (verbose ? "ASSIGNMENT" : "") + "\n"
        for m in group.members {
            s += row([group.groupID, m.memberID, m.groupInstanceID ?? "", m.host, m.clientID, "\(m.assignment.count)"])
            if verbose { s += assignment(m.assignment) }
            s += "\n"
        }
        return s
    }

    static func assignment(_ partitions: [TopicPartition]) -> String {
        guard !partitions.isEmpty else { return "-" }
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        return byTopic.values.map { "(" + $0.map(String.init).sorted().joined(separator: ",") + ")" }.sorted().joined(separator: ", ")
    }

    /// `--describe --state` of one group.
    public static func state(_ group: GroupDescription) -> String {
        let coordinator = "\(group.coordinator.address)  (\(group.coordinator.id))"
        let w = max(25, coordinator.count)
        func line(_ v: [String]) -> String { "\n" + left(v[0], w) + " " + left(v[1], 25) + " " + left(v[2], 20) + " " + left(v[3], 15) + " " + v[4] }
        return line(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"])
            + line([group.groupID, coordinator, group.assignor, group.state, "\(group.members.count)"]) + "\n"
    }

    /// `--list --state/--type`: a header and one line per group.
    public static func listing(_ groups: [GroupListing], includeType: Bool, includeState: Bool) -> String {
        let w = (groups.map { max(15, $0.groupID.count) }.max() ?? 15) + 10
        func line(_ id: String, _ type: String, _ state: String) -> String {
            var s = left(id, w)
            if includeType { s += " " + left(type, 20) }
            if includeState { s += " " + left(state, 20) }
            return s + "\n"
        }
        var s = line("GROUP", "TYPE", "STATE")
        for g in groups { s += line(g.groupID, g.type ?? "Unknown", g.state ?? "Unknown") }
        return s
    }

    /// The `--reset-offsets` table (4.0's layout: each row on its own line).
    public static func resetOffsets(_ plans: [(group: String, offsets: [TopicPartition: Int64])]) -> String {
        guard !plans.isEmpty else { return "" }
        func line(_ a: String, _ b: String, _ c: String, _ d: String) -> String { "\n" + left(a, 30) + " " + left(b, 30) + " " + left(c, 10) + " " + left(d, 15) }
        var s = line("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
        for (group, offsets) in plans {
            for (tp, o) in offsets.sorted(by: { $0.key < $1.key }) { s += line(group, tp.topic, "\(tp.partition)", "\(o)") }
        }
        return s + "\n"
    }

    /// The `--delete-offsets` per-partition table (4.0's layout); a partition -1 is "Not Provided".
    public static func deleteOffsets(_ results: [(TopicPartition, String?)]) -> String {
        func line(_ a: String, _ b: String, _ c: String) -> String { "\n" + left(a, 30) + " " + left(b, 15) + " " + left(c, 15) }
        var s = line("TOPIC", "PARTITION", "STATUS")
        for (tp, error) in results.sorted(by: { ($0.0.topic + "\($0.0.partition)") < ($1.0.topic + "\($1.0.partition)") }) {
            s += line(tp.topic, tp.partition >= 0 ? "\(tp.partition)" : "Not Provided", error.map { "Error: :" + $0 } ?? "Successful")
        }
        return s + "\n"
    }
}

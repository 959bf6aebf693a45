import Foundation
import KafkaProtocol

extension Date {
    static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// The offsets `--reset-offsets` sets, from what the cluster says about the partitions (Kafka's
/// `prepareOffsetsToReset` and `checkOffsetsRange`). Pure: the caller fetches the offsets.
///
///     --to-offset N, --shift-by N, --from-file   the asked offset, clamped into [log start, log end]
///     --to-earliest / --to-latest                the log start / log end offset
///     --to-current                               the committed offset, else the log end offset
///     --to-datetime, --by-duration               the first offset at or after the time, else (an
///                                                empty partition) the log end offset, with a "Warn:" notice
public enum ResetOffsetsPlan {
    public struct Inputs: Sendable {
        public var partitions: [TopicPartition]
        public var committed: [TopicPartition: Int64?]
        public var logStart: [TopicPartition: Int64]
        public var logEnd: [TopicPartition: Int64]
        /// For the time scenarios: the offset ListOffsets found for the timestamp (missing: none).
        public var byTimestamp: [TopicPartition: Int64]
        /// For `--from-file`: this group's offsets in the file.
        public var fromFile: [TopicPartition: Int64]

        public init(partitions: [TopicPartition], committed: [TopicPartition: Int64?] = [:], logStart: [TopicPartition: Int64] = [:],
                    logEnd: [TopicPartition: Int64] = [:], byTimestamp: [TopicPartition: Int64] = [:], fromFile: [TopicPartition: Int64] = [:]) {
            self.partitions = partitions
            self.committed = committed
            self.logStart = logStart
            self.logEnd = logEnd
            self.byTimestamp = byTimestamp
            self.fromFile = fromFile
        }
    }

    public struct Plan: Hashable, Sendable {
        public var offsets: [TopicPartition: Int64]
        /// Lines Kafka prints on standard output while planning.
        public var notices: [String]
    }

    public static func plan(_ scenario: ConsumerGroupCommandOptions.ResetScenario, _ inputs: Inputs) throws(ToolUsageError) -> Plan {
        var notices: [String] = []
        func start(_ tp: TopicPartition) throws(ToolUsageError) -> Int64 {
            guard let o = inputs.logStart[tp] else { throw ToolUsageError("Error getting starting offset of topic partition: \(tp)") }
            return o
        }
        func end(_ tp: TopicPartition, _ what: String = "ending") throws(ToolUsageError) -> Int64 {
            guard let o = inputs.logEnd[tp] else { throw ToolUsageError("Error getting \(what) offset of topic partition: \(tp)") }
            return o
        }
        /// checkOffsetsRange: above the end becomes the end, below the start the start.
        func clamped(_ tp: TopicPartition, _ offset: Int64) -> Int64 {
            if let e = inputs.logEnd[tp], offset > e { return e }
            if let s = inputs.logStart[tp], offset < s { return s }
            return offset
        }
        var out: [TopicPartition: Int64] = [:]
        switch scenario {
        case let .toOffset(n):
            for tp in inputs.partitions { out[tp] = clamped(tp, n) }
        case .toEarliest:
            for tp in inputs.partitions { out[tp] = try start(tp) }
        case .toLatest:
            for tp in inputs.partitions { out[tp] = try end(tp) }
        case let .shiftBy(n):
            for tp in inputs.partitions {
                guard let current = inputs.committed[tp] ?? nil else {
                    throw ToolUsageError("Cannot shift offset for partition \(tp) since there is no current committed offset")
                }
                out[tp] = clamped(tp, current + n)
            }
        case .toDatetime, .byDuration:
            for tp in inputs.partitions.sorted(by: <) {
                if let o = inputs.byTimestamp[tp] {
                    out[tp] = o
                } else {
                    notices.append("\nWarn: Partition \(tp.partition) from topic \(tp.topic) is empty. Falling back to latest known offset.")
                    out[tp] = try end(tp, "offset by timestamp of")
                }
            }
        case .fromFile:
            for (tp, o) in inputs.fromFile { out[tp] = clamped(tp, o) }
        case .toCurrent:
            for tp in inputs.partitions {
                if let current = inputs.committed[tp] ?? nil { out[tp] = current } else { out[tp] = try end(tp) }
            }
        }
        return Plan(offsets: out, notices: notices)
    }

    /// `--to-datetime`: `yyyy-MM-ddTHH:mm:ss[.SSS][Z|±HH:mm|±HHmm]`, in the local time zone when none
    /// is given (Kafka's `Utils.getDateTime`), as milliseconds since the epoch.
    public static func parseDateTime(_ text: String) throws(ToolUsageError) -> Int64 {
        let parts = text.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ToolUsageError("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format") }
        var time = String(parts[1])
        var zone: TimeZone? = nil
        if time.hasSuffix("Z") {
            zone = TimeZone(secondsFromGMT: 0)
            time.removeLast()
        } else if let signIndex = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let z = time[time.index(after: signIndex)...].replacingOccurrences(of: ":", with: "")
            guard z.count == 4 || z.count == 2, let v = Int(z) else { throw ToolUsageError("Error parsing timestamp with timezone: \(text)") }
            let seconds = (z.count == 4 ? (v / 100) * 3600 + (v % 100) * 60 : v * 3600) * (time[signIndex] == "-" ? -1 : 1)
            zone = TimeZone(secondsFromGMT: seconds)
            time = String(time[..<signIndex])
        }
        let d = parts[0].split(separator: "-").compactMap { Int($0) }
        let hms = time.split(separator: ":")
        guard d.count == 3, hms.count == 3, let h = Int(hms[0]), let mi = Int(hms[1]) else {
            throw ToolUsageError("Unparseable date: \"\(text)\"")
        }
        let secParts = hms[2].split(separator: ".", omittingEmptySubsequences: false)
        guard let s = Int(secParts[0]) else { throw ToolUsageError("Unparseable date: \"\(text)\"") }
        var millis = 0
        if secParts.count == 2 {
            let frac = String(secParts[1].prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0)
            guard let m = Int(frac) else { throw ToolUsageError("Unparseable date: \"\(text)\"") }
            millis = m
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone ?? TimeZone.current
        guard let date = calendar.date(from: DateComponents(year: d[0], month: d[1], day: d[2], hour: h, minute: mi, second: s)) else {
            throw ToolUsageError("Unparseable date: \"\(text)\"")
        }
        return Int64((date.timeIntervalSince1970 * 1000).rounded()) + Int64(millis)
    }

    /// `--by-duration`: a Java `Duration` text (`PnDTnHnMn.nS`, optionally negative) in milliseconds.
    public static func parseDuration(_ text: String) throws(ToolUsageError) -> Int64 {
        var s = Substring(text.uppercased())
        var sign: Int64 = 1
        if s.hasPrefix("-") { sign = -1; s = s.dropFirst() } else if s.hasPrefix("+") { s = s.dropFirst() }
        guard s.hasPrefix("P") else { throw ToolUsageError("Text cannot be parsed to a Duration") }
        s = s.dropFirst()
        var total: Double = 0
        var inTime = false
        var number = ""
        var any = false
        for c in s {
            if c == "T" { inTime = true; continue }
            if c.isNumber || c == "." || c == "-" { number.append(c); continue }
            guard let v = Double(number) else { throw ToolUsageError("Text cannot be parsed to a Duration") }
            number = ""
            any = true
            switch (c, inTime) {
            case ("D", false): total += v * 86_400_000
            case ("H", true): total += v * 3_600_000
            case ("M", true): total += v * 60_000
            case ("S", true): total += v * 1000
            default: throw ToolUsageError("Text cannot be parsed to a Duration")
            }
        }
        guard any, number.isEmpty else { throw ToolUsageError("Text cannot be parsed to a Duration") }
        return sign * Int64(total)
    }

    /// `--from-file` CSV: `topic,partition,offset` lines for one group, else `group,topic,partition,offset`.
    public static func parseCSV(_ text: String, singleGroup: String?) throws(ToolUsageError) -> [String: [TopicPartition: Int64]] {
        var out: [String: [TopicPartition: Int64]] = [:]
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        let threeFields = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).count == 3 } ?? false
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let group = singleGroup, threeFields {
                guard f.count == 3, let p = Int32(f[1]), let o = Int64(f[2]) else { throw ToolUsageError("Invalid CSV line: \(line)") }
                out[group, default: [:]][TopicPartition(f[0], p)] = o
            } else {
                guard f.count == 4, let p = Int32(f[2]), let o = Int64(f[3]) else { throw ToolUsageError("Invalid CSV line: \(line)") }
                out[f[0], default: [:]][TopicPartition(f[1], p)] = o
            }
        }
        return out
    }

    /// `--export`: the CSV Kafka writes (one line per partition, no header; the group first when more
    /// than one group was asked for).
    public static func exportCSV(_ plans: [(group: String, offsets: [TopicPartition: Int64])], singleGroup: Bool) -> String {
        var s = ""
        for (group, offsets) in plans {
            for (tp, o) in offsets.sorted(by: { $0.key < $1.key }) {
                s += (singleGroup ? "" : "\(group),") + "\(tp.topic),\(tp.partition),\(o)\n"
            }
        }
        return s
    }
}

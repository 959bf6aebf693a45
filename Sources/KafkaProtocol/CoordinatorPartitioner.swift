/// Which partition of a coordinator's topic (and so which coordinator) owns a key: a group id in
/// `__consumer_offsets`, a transactional id in `__transaction_state`.
///
/// Kafka: `Utils.abs(key.hashCode()) % <topic>.num.partitions`, where `hashCode` is Java's
/// `String.hashCode` — `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units in wrapping 32-bit arithmetic —
/// and `Utils.abs(n)` is `n == Int.MIN_VALUE ? 0 : Math.abs(n)`. (That is not `n & 0x7fffffff`, the
/// producer's `toPositive`: for "my-group", hash -1906497762, the two give partitions 12 and 36 of 50.)
public enum CoordinatorPartitioner {
    /// Java's `String.hashCode`.
    public static func javaStringHashCode(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// Kafka's `Utils.abs`.
    public static func kafkaAbs(_ n: Int32) -> Int32 {
        n == .min ? 0 : abs(n)
    }

    public static func partition(for key: String, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "a coordinator topic's partition count must be positive")
        return kafkaAbs(javaStringHashCode(key)) % partitionCount
    }
}

import Foundation

/// Milliseconds since the Unix epoch, Kafka's timestamp unit. The only clock the broker shell
/// reads; pure layers take `now` as an argument.
public enum BrokerClock {
    public static func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// The replica ids whose votes elect a leader and whose fetch offsets advance the high watermark.
///
/// Invariant: a majority is `count / 2 + 1` of these ids. The set is data handed to the core, not a
/// constant, so KIP-853 (dynamic voters) can later replace it from `VotersRecord`s in the log.
public struct VoterSet: Hashable, Sendable, CustomStringConvertible {
    public private(set) var ids: Set<Int32>

    public init(_ ids: some Sequence<Int32>) {
        self.ids = Set(ids)
    }

    public var count: Int { ids.count }
    /// How many voters make a majority.
    public var majority: Int { ids.count / 2 + 1 }
    public func contains(_ id: Int32) -> Bool { ids.contains(id) }
    /// The ids in ascending order (a stable order for requests and tests).
    public var sorted: [Int32] { ids.sorted() }
    public func isOnlyVoter(_ id: Int32) -> Bool { ids == [id] }

    public var description: String { "\(sorted)" }
}

/// A transaction's state, with the byte Kafka writes for it in `TransactionLogValue.TransactionStatus`.
///
/// The life of one transaction: Empty → Ongoing (first AddPartitionsToTxn/AddOffsetsToTxn) →
/// PrepareCommit or PrepareAbort (EndTxn, or a timeout) → CompleteCommit or CompleteAbort (every
/// partition has its marker) → Ongoing again with the next transaction. Dead is a transactional id
/// expired and removed. PrepareEpochFence is never written to the log: it is the pending transition
/// while an ongoing transaction is aborted with a bumped epoch (a new producer, or a timeout).
public enum TransactionState: Int8, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case empty = 0
    case ongoing = 1
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5
    case dead = 6
    case prepareEpochFence = 7

    /// The names DescribeTransactions and ListTransactions use (Kafka's `TransactionState.name`).
    public var name: String {
        switch self {
        case .empty: "Empty"
        case .ongoing: "Ongoing"
        case .prepareCommit: "PrepareCommit"
        case .prepareAbort: "PrepareAbort"
        case .completeCommit: "CompleteCommit"
        case .completeAbort: "CompleteAbort"
        case .dead: "Dead"
        case .prepareEpochFence: "PrepareEpochFence"
        }
    }

    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }

    public var description: String { name }

    /// The states a transition into `self` may start from (Kafka's `validPreviousStates`).
    public var validPreviousStates: Set<TransactionState> {
        switch self {
        case .empty: [.empty, .completeCommit, .completeAbort]
        case .ongoing: [.ongoing, .empty, .completeCommit, .completeAbort]
        case .prepareCommit: [.ongoing]
        // Transaction version 2 aborts with an epoch bump from a finished or empty transaction too.
        case .prepareAbort: [.ongoing, .empty, .completeCommit, .completeAbort]
        case .completeCommit: [.prepareCommit]
        case .completeAbort: [.prepareAbort]
        case .dead: [.empty, .completeCommit, .completeAbort]
        case .prepareEpochFence: [.ongoing]
        }
    }

    /// Whether a transaction is open: its partitions may hold records with no marker yet.
    public var isTransactionOpen: Bool {
        self == .ongoing || self == .prepareCommit || self == .prepareAbort || self == .prepareEpochFence
    }
}

/// How a transaction ends: the control record its markers carry.
public enum TransactionResult: Hashable, Sendable, CustomStringConvertible {
    case commit
    case abort

    public init(committed: Bool) { self = committed ? .commit : .abort }

    public var committed: Bool { self == .commit }
    public var description: String { committed ? "COMMIT" : "ABORT" }
}

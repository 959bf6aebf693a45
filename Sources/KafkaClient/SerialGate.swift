/// A first-in, first-out gate for async callers inside an actor (whose isolation protects it): one
/// holder at a time, the others resumed in arrival order.
///
///     if !gate.tryEnter() { await withCheckedContinuation { gate.park($0) } }
///     defer { gate.leave() }
///
/// Invariant: every entry is matched by one `leave`; a parked caller is resumed exactly once, by the
/// `leave` that hands it the gate (which stays held across the hand-over).
public struct SerialGate {
    public init() {}

    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Takes the gate if it is free; false means the caller must `park`.
    public mutating func tryEnter() -> Bool {
        if held { return false }
        held = true
        return true
    }

    public mutating func park(_ continuation: CheckedContinuation<Void, Never>) {
        waiting.append(continuation)
    }

    /// Hands the gate to the next parked caller, or frees it.
    public mutating func leave() {
        if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
    }
}

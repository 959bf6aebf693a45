import Foundation

/// A set of message versions as Kafka's schemas write it: `none`, `N`, `N+` or `N-M`.
public enum Versions: Hashable, Sendable, CustomStringConvertible {
    case none
    /// `lowest...highest`; `highest == nil` means open-ended (`N+`).
    case range(lowest: Int16, highest: Int16?)

    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "none" { self = .none; return }
        if t.hasSuffix("+") {
            guard let n = Int16(t.dropLast()) else { return nil }
            self = .range(lowest: n, highest: nil)
            return
        }
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 1, let n = Int16(parts[0]) { self = .range(lowest: n, highest: n); return }
        if parts.count == 2, let a = Int16(parts[0]), let b = Int16(parts[1]), a <= b {
            self = .range(lowest: a, highest: b)
            return
        }
        return nil
    }

    public func contains(_ version: Int16) -> Bool {
        switch self {
        case .none: return false
        case let .range(lo, hi): return version >= lo && (hi.map { version <= $0 } ?? true)
        }
    }

    public var isNone: Bool { self == .none }

    public var lowest: Int16? {
        if case let .range(lo, _) = self { return lo }
        return nil
    }

    public var highest: Int16? {
        if case let .range(_, hi) = self { return hi }
        return nil
    }

    /// The versions in both sets.
    public func intersection(_ other: Versions) -> Versions {
        guard case let .range(a, b) = self, case let .range(c, d) = other else { return .none }
        let lo = max(a, c)
        let hi: Int16? = switch (b, d) {
        case (nil, nil): nil
        case let (x?, nil): x
        case let (nil, y?): y
        case let (x?, y?): min(x, y)
        }
        if let hi, hi < lo { return .none }
        return .range(lowest: lo, highest: hi)
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case let .range(lo, nil): return "\(lo)+"
        case let .range(lo, hi?): return lo == hi ? "\(lo)" : "\(lo)-\(hi)"
        }
    }
}

/// Thompson's construction: a parsed pattern to NFA instructions, counted repetitions expanded, the
/// program refused once it would exceed ``LinearRegex/maxInstructions``.
struct Compiler {
    var program: [Instruction] = []
    /// `emit` calls so far: a repetition of something that compiles to nothing appends nothing, so the
    /// instruction cap alone would not bound the work of `((){1000}){1000}`.
    private var emitted = 0

    static let tooLarge = LinearRegex.SyntaxError(message: "pattern too large: over \(LinearRegex.maxInstructions) NFA states")

    @discardableResult
    mutating func append(_ instruction: Instruction) throws(LinearRegex.SyntaxError) -> Int {
        guard program.count < LinearRegex.maxInstructions else { throw Self.tooLarge }
        program.append(instruction)
        return program.count - 1
    }

    mutating func emit(_ node: Node) throws(LinearRegex.SyntaxError) {
        emitted += 1
        guard emitted <= LinearRegex.maxInstructions * 4 else { throw Self.tooLarge }
        switch node {
        case .empty:
            return
        case let .scalars(set):
            try append(.scalar(set))
        case let .any(newline):
            try append(.any(newline: newline))
        case let .assertion(assertion):
            try append(.assertion(assertion))
        case let .concat(nodes):
            for node in nodes { try emit(node) }
        case let .alternate(branches):
            // split → first | split → second | ... ; each branch but the last jumps past the others.
            var jumps: [Int] = []
            for branch in branches.dropLast() {
                let split = try append(.split(0, 0))
                try emit(branch)
                jumps.append(try append(.jump(0)))
                program[split] = .split(split + 1, program.count)
            }
            try emit(branches[branches.count - 1])
            for jump in jumps { program[jump] = .jump(program.count) }
        case let .repetition(body, min, max):
            // Copies of nothing are nothing (and `()*` must not loop through empty jumps).
            guard !Self.compilesToNothing(body) else { return }
            for _ in 0..<min { try emit(body) }
            if let max {
                // x{n,m}: n copies, then m-n optional ones, each of which may end the repetition.
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(try append(.split(0, 0)))
                    try emit(body)
                }
                for split in splits { program[split] = .split(split + 1, program.count) }
            } else {
                let loop = try append(.split(0, 0))
                try emit(body)
                try append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}

extension Compiler {
    /// Whether `node` emits no instruction.
    static func compilesToNothing(_ node: Node) -> Bool {
        switch node {
        case .empty: true
        case let .concat(nodes): nodes.allSatisfy(compilesToNothing)
        case let .repetition(body, _, _): compilesToNothing(body)
        case .scalars, .any, .assertion, .alternate: false
        }
    }
}

/// The NFA simulation: the set of states reachable after each scalar, each state at most once per step,
/// so a match costs O(text length × program length) whatever the pattern.
struct Matcher {
    let program: [Instruction]
    let text: [Unicode.Scalar]

    /// Whether the whole text matches, and how many states were visited (at most the program's length
    /// per position: the linear bound, which tests check).
    func run() -> (matched: Bool, steps: Int) {
        var steps = 0
        var current = StateSet(capacity: program.count)
        var next = StateSet(capacity: program.count)
        var stack: [Int] = []
        add(0, at: 0, to: &current, stack: &stack, steps: &steps)
        for position in 0...text.count {
            if current.count == 0 { return (false, steps) }
            next.removeAll()
            for k in 0..<current.count {
                let pc = current.members[k]
                switch program[pc] {
                case .match:
                    if position == text.count { return (true, steps) }
                case let .scalar(set):
                    if position < text.count, set.contains(text[position]) { add(pc + 1, at: position + 1, to: &next, stack: &stack, steps: &steps) }
                case let .any(newline):
                    if position < text.count, newline || text[position] != "\n" { add(pc + 1, at: position + 1, to: &next, stack: &stack, steps: &steps) }
                case .split, .jump, .assertion:
                    break
                }
            }
            swap(&current, &next)
        }
        return (false, steps)
    }

    /// Adds `pc` and every state reachable from it without consuming a scalar at `position`.
    private func add(_ pc: Int, at position: Int, to set: inout StateSet, stack: inout [Int], steps: inout Int) {
        stack.append(pc)
        while let pc = stack.popLast() {
            guard !set.contains(pc) else { continue }
            set.insert(pc)
            steps += 1
            switch program[pc] {
            case let .split(first, second):
                stack.append(second)
                stack.append(first)
            case let .jump(target):
                stack.append(target)
            case let .assertion(assertion):
                if holds(assertion, at: position) { stack.append(pc + 1) }
            case .scalar, .any, .match:
                break
            }
        }
    }

    private func holds(_ assertion: Assertion, at position: Int) -> Bool {
        switch assertion {
        case .beginText: return position == 0
        case .endText: return position == text.count
        case .beginLine: return position == 0 || text[position - 1] == "\n"
        case .endLine: return position == text.count || text[position] == "\n"
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && Self.isWord(text[position - 1])
            let after = position < text.count && Self.isWord(text[position])
            return (before != after) == (assertion == .wordBoundary)
        }
    }

    /// RE2's `\b` is ASCII: `\w`'s `[0-9A-Za-z_]`.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        PerlClass.word.contains { $0.contains(scalar.value) }
    }
}

/// A sparse set of program counters (Briggs and Torczon): constant-time insert, lookup and clear.
struct StateSet {
    private(set) var members: [Int]
    private var index: [Int]
    private(set) var count = 0

    init(capacity: Int) {
        members = Array(repeating: 0, count: capacity)
        index = Array(repeating: 0, count: capacity)
    }

    func contains(_ pc: Int) -> Bool {
        let k = index[pc]
        return k < count && members[k] == pc
    }

    mutating func insert(_ pc: Int) {
        index[pc] = count
        members[count] = pc
        count += 1
    }

    mutating func removeAll() {
        count = 0
    }
}

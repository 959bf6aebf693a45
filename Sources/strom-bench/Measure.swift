/// Throughput measurement: each sample runs a body until at least `minimum` has passed and divides the
/// bytes processed by the time taken; the result is the median of `samples` samples.
///
/// ``throughputs(bytesPerIteration:_:)`` interleaves several bodies round by round (A, B, A, B, ...), so
/// that load from elsewhere on the machine affects the compared variants alike.
struct Measure {
    var samples = 5
    var minimum: Duration = .milliseconds(150)

    /// Bytes per second (median).
    func throughput(bytesPerIteration: Int, _ body: () throws -> Void) throws -> Double {
        try withoutActuallyEscaping(body) { try throughputs(bytesPerIteration: bytesPerIteration, [$0])[0] }
    }

    /// Bytes per second (median) of each body, sampled alternately.
    func throughputs(bytesPerIteration: Int, _ bodies: [() throws -> Void]) throws -> [Double] {
        for body in bodies { try body() } // warm-up: page in buffers, settle allocator and caches
        var rates = [[Double]](repeating: [], count: bodies.count)
        let clock = ContinuousClock()
        for _ in 0..<samples {
            for (i, body) in bodies.enumerated() {
                var iterations = 0
                let start = clock.now
                var elapsed: Duration = .zero
                repeat {
                    try body()
                    iterations += 1
                    elapsed = clock.now - start
                } while elapsed < minimum
                rates[i].append(Double(bytesPerIteration * iterations) / elapsed.seconds)
            }
        }
        return rates.map { $0.sorted()[$0.count / 2] }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// Keeps results alive so the optimizer cannot drop the work.
nonisolated(unsafe) var sink: UInt64 = 0

@inline(never)
func consume(_ value: UInt64) { sink &+= value }

/// `x` with `decimals` digits after the point (no Foundation needed).
func fixed(_ x: Double, _ decimals: Int) -> String {
    guard x.isFinite else { return "\(x)" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((abs(x) * scale).rounded())
    let whole = scaled / Int(scale), fraction = scaled % Int(scale)
    var text = (x < 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        let digits = String(fraction)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return text
}

func gbps(_ bytesPerSecond: Double) -> String { fixed(bytesPerSecond / 1e9, 2) + " GB/s" }
func mbps(_ bytesPerSecond: Double) -> String { fixed(bytesPerSecond / 1e6, 0) + " MB/s" }

/// A Markdown table with right-aligned numeric columns.
func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        "| " + cells.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return i == 0 ? c + pad : pad + c
        }.joined(separator: " | ") + " |"
    }
    var out = [line(header)]
    out.append("|" + widths.enumerated().map { i, w in i == 0 ? " " + String(repeating: "-", count: w) + " " : " " + String(repeating: "-", count: w - 1) + ": " }.joined(separator: "|") + "|")
    out += rows.map(line)
    return out.joined(separator: "\n")
}

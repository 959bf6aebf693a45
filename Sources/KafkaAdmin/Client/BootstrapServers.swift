/// A `--bootstrap-server` (or `--bootstrap-controller`) list: `host:port[,host:port...]`, IPv6 hosts
/// in brackets (`[::1]:9092`). Kafka's message for anything else.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public static func parseList(_ text: String) throws(ToolUsageError) -> [HostPort] {
        var out: [HostPort] = []
        for raw in text.split(separator: ",") {
            let item = raw.trimmedWhitespace()
            guard !item.isEmpty else { continue }
            guard let colon = item.lastIndex(of: ":"), let port = Int(item[item.index(after: colon)...]), (0...65535).contains(port) else {
                throw ToolUsageError("Invalid url in bootstrap.servers: \(item)")
            }
            var host = String(item[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw ToolUsageError("Invalid url in bootstrap.servers: \(item)") }
            out.append(HostPort(host: host, port: port))
        }
        guard !out.isEmpty else { throw ToolUsageError("No resolvable bootstrap urls given in bootstrap.servers") }
        return out
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line ends (Java's `trim` for these texts).
    func trimmedWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

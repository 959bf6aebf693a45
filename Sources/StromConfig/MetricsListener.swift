/// `strom.metrics.listener` (Strom's own key; Kafka has JMX instead): the HTTP address of the node's
/// Prometheus metrics (`/metrics`) and health checks (`/health/live`, `/health/ready`), written
/// `http://host:port` (or `host:port`). Empty turns it off. The zero-configuration node serves it on
/// `http://127.0.0.1:9464`; elsewhere it is off unless set.
public struct MetricsListener: Sendable, Hashable, CustomStringConvertible {
    public static let key = "strom.metrics.listener"
    public static let zeroConfigurationDefault = "http://127.0.0.1:9464"

    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(Invalid) {
        var rest = Substring(text)
        if rest.lowercased().hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (0...65_535).contains(port) else {
            throw Invalid(description: "expected http://host:port")
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    /// Whether this is the zero-configuration node's address (a busy port there is a warning, not a failure).
    public var isZeroConfigurationDefault: Bool {
        (try? MetricsListener(parsing: Self.zeroConfigurationDefault)) == self
    }

    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

import Foundation

/// A listener from `listeners` / `advertised.listeners`: `NAME://host:port`.
/// An empty host means every interface; IPv6 hosts are written in brackets.
public struct Listener: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var host: String
    public var port: Int

    public init(name: String, host: String, port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(name)://\(h):\(port)"
    }

    /// Parses one `NAME://host:port`; nil when it is not one.
    public init?(parsing text: String) {
        let t = text.trimmingWhitespace()
        guard let sep = t.range(of: "://") else { return nil }
        let name = String(t[..<sep.lowerBound])
        let address = t[sep.upperBound...]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { return nil }
        let host: String
        let portText: Substring
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { return nil }
            host = String(address[address.index(after: address.startIndex)..<close])
            let afterClose = address[address.index(after: close)...]
            guard afterClose.hasPrefix(":") else { return nil }
            portText = afterClose.dropFirst()
        } else {
            guard let colon = address.lastIndex(of: ":") else { return nil }
            host = String(address[..<colon])
            portText = address[address.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.init(name: name.uppercased(), host: host, port: port)
    }
}

/// A voter from `controller.quorum.voters`: `id@host:port`.
public struct QuorumVoter: Hashable, Sendable, CustomStringConvertible {
    public var id: Int32
    public var host: String
    public var port: Int

    public init(id: Int32, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    public var description: String { "\(id)@\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public init?(parsing text: String) {
        let t = text.trimmingWhitespace()
        guard let at = t.firstIndex(of: "@"), let id = Int32(t[..<at]), id >= 0,
              let address = Listener(parsing: "X://" + t[t.index(after: at)...]), !address.host.isEmpty
        else { return nil }
        self.init(id: id, host: address.host, port: address.port)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

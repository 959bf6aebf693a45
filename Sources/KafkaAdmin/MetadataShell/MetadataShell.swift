import Foundation
import KafkaMetadata
import KafkaProtocol
import KafkaRecords
import NIOCore

/// The metadata shell's commands, run once each as `kafka-metadata-shell.sh --snapshot F <command>`
/// runs them: `ls [paths]`, `cat paths`, `tree paths`, `find [paths]`, `pwd`, `cd [path]`, `help`.
/// Paths are absolute or relative to the working directory (`/`), with `.`, `..` and `*`/`?` globs
/// per component. Pure over a `MetadataShellNode` tree.
public struct MetadataShell: Sendable {
    public let root: MetadataShellNode
    public private(set) var workingDirectory: [String] = []

    public init(root: MetadataShellNode) { self.root = root }

    /// Runs one command line (its words), returning what it prints.
    public mutating func run(_ words: [String]) -> String {
        guard let command = words.first else { return "" }
        let args = Array(words.dropFirst())
        switch command {
        case "ls": return ls(args.isEmpty ? ["."] : args)
        case "cat": return visit(args, "cat") { path, node in node.isDirectory ? "cat: \(path): Is a directory\n" : Self.tree(node, indent: 0) }
        case "tree": return visit(args, "tree") { _, node in Self.tree(node, indent: 0) }
        case "find": return (args.isEmpty ? ["."] : args).map { find($0) }.joined()
        case "pwd": return "/" + workingDirectory.joined(separator: "/") + "\n"
        case "cd":
            let target = args.first ?? "/"
            let matches = resolve(target)
            guard matches.count == 1, matches[0].1.isDirectory else { return "cd: \(target): no such directory\n" }
            workingDirectory = matches[0].0
            return ""
        case "help":
            return "Welcome to the Apache Kafka metadata shell.\n\nCommands: cat, cd, find, help, ls, pwd, tree\n"
        default:
            return "Unknown command: \(command)\n"
        }
    }

    func visit(_ targets: [String], _ name: String, _ body: (String, MetadataShellNode) -> String) -> String {
        var out = ""
        for target in targets {
            let matches = resolve(target)
            if matches.isEmpty { out += "\(name): \(target): No such file or directory.\n" }
            for (_, node) in matches { out += body(target, node) }
        }
        return out
    }

    /// `ls`: files first (their names), then each directory's sorted children, introduced by its name
    /// when more than one thing is listed.
    func ls(_ targets: [String]) -> String {
        var out = ""
        var files: [String] = []
        var directories: [(String, [String])] = []
        for target in targets {
            let matches = resolve(target)
            if matches.isEmpty { out += "ls: \(target): no such file or directory.\n" }
            for (path, node) in matches {
                let name = path.last ?? "/"
                if node.isDirectory { directories.append((name, node.children.keys.sorted())) } else { files.append(name) }
            }
        }
        out += files.map { $0 + "\n" }.joined()
        let intro = !files.isEmpty || directories.count > 1
        var first = files.isEmpty
        for (name, children) in directories where !children.isEmpty {
            if intro {
                out += (first ? "" : "\n") + name + ":\n"
                first = false
            }
            out += children.map { $0 + "\n" }.joined()
        }
        return out
    }

    func find(_ target: String) -> String {
        let matches = resolve(target)
        if matches.isEmpty { return "find: \(target): no such file or directory.\n" }
        var out = ""
        func walk(_ path: String, _ node: MetadataShellNode) {
            out += path + "\n"
            for name in node.children.keys.sorted() { walk(path == "/" ? "/" + name : path + "/" + name, node.children[name]!) }
        }
        for (components, node) in matches { walk("/" + components.joined(separator: "/"), node) }
        return out
    }

    /// Kafka's `ShellNodePrinter`: each child "name:" then its contents two spaces further in; a file's text.
    static func tree(_ node: MetadataShellNode, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent * 2)
        switch node {
        case let .file(text): return pad + text + "\n"
        case let .directory(children):
            return children.keys.sorted().map { pad + $0 + ":\n" + tree(children[$0]!, indent: indent + 1) }.joined()
        }
    }

    /// The nodes `path` names (globs expanded), with their absolute components, sorted.
    public func resolve(_ path: String) -> [([String], MetadataShellNode)] {
        var results: [[String]] = [path.hasPrefix("/") ? [] : workingDirectory]
        for component in path.split(separator: "/").map(String.init) {
            switch component {
            case ".": continue
            case "..": results = results.map { Array($0.dropLast()) }
            default:
                var next: [[String]] = []
                for r in results {
                    guard let node = root.child(r) else { continue }
                    for name in node.children.keys.sorted() where Self.glob(component, matches: name) { next.append(r + [name]) }
                }
                results = next
            }
        }
        return results.compactMap { r in root.child(r).map { (r, $0) } }
    }

    /// `*` any run of characters, `?` one character, anything else itself.
    static func glob(_ pattern: String, matches name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        func m(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == n.count }
            if p[i] == "*" { return (j...n.count).contains { m(i + 1, $0) } }
            guard j < n.count, p[i] == "?" || p[i] == n[j] else { return false }
            return m(i + 1, j + 1)
        }
        return m(0, 0)
    }
}

/// Reads a metadata image from a KRaft snapshot (`.checkpoint`) or a `__cluster_metadata` log
/// directory (its newest snapshot, then the log segments' records after it), replaying each record
/// with `MetadataDelta` as the broker does.
public enum MetadataShellLoader {
    public static func load(snapshot path: String) throws -> MetadataImage {
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolFailure("Unable to read \(path)") }
        let name = URL(fileURLWithPath: path).lastPathComponent
        var delta = MetadataDelta(base: MetadataImage())
        let last = try replay(Array(data), from: 0, into: &delta)
        let id = snapshotID(name)
        return delta.apply(provenance: MetadataProvenance(offset: id.map { $0.0 - 1 } ?? last.offset, epoch: id?.1 ?? last.epoch))
    }

    public static func load(directory: String) throws -> MetadataImage {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        var delta = MetadataDelta(base: MetadataImage())
        var next: Int64 = 0
        var provenance = MetadataProvenance(offset: -1, epoch: -1)
        if let newest = files.compactMap({ f in snapshotID(f).map { (f, $0) } }).max(by: { $0.1.0 < $1.1.0 }) {
            guard let data = FileManager.default.contents(atPath: directory + "/" + newest.0) else { throw ToolFailure("Unable to read \(newest.0)") }
            _ = try replay(Array(data), from: 0, into: &delta)
            next = newest.1.0
            provenance = MetadataProvenance(offset: newest.1.0 - 1, epoch: newest.1.1)
        }
        for segment in files.filter({ $0.hasSuffix(".log") }).sorted() {
            guard let data = FileManager.default.contents(atPath: directory + "/" + segment) else { throw ToolFailure("Unable to read \(segment)") }
            let last = try replay(Array(data), from: next, into: &delta)
            if last.offset >= 0 { provenance = last }
        }
        return delta.apply(provenance: provenance)
    }

    /// Replays the data records at or after offset `from`; returns the offset and leader epoch of the last.
    static func replay(_ bytes: [UInt8], from: Int64, into delta: inout MetadataDelta) throws -> MetadataProvenance {
        var reader = RecordBatchReader(ByteBuffer(bytes: bytes))
        var last = MetadataProvenance(offset: -1, epoch: -1)
        while let batch = try reader.next() {
            guard !batch.header.isControl else { continue }
            for record in try batch.decodeRecords(decompressionLimit: Int(Int32.max), offsets: .increasing) {
                let offset = batch.header.baseOffset + Int64(record.offsetDelta)
                guard offset >= from, let value = record.value else { continue }
                let item = try MetadataRecordSerde.decode(ByteBuffer(bytes: value))
                do { try delta.replay(item.record) } catch { throw ToolFailure("Unable to replay the record at offset \(offset): \(error)") }
                last = MetadataProvenance(offset: offset, epoch: batch.header.partitionLeaderEpoch)
            }
        }
        return last
    }

    static func snapshotID(_ name: String) -> (Int64, Int32)? {
        guard name.hasSuffix(".checkpoint") else { return nil }
        let parts = name.dropLast(".checkpoint".count).split(separator: "-")
        guard parts.count == 2, let o = Int64(parts[0]), let e = Int32(parts[1]) else { return nil }
        return (o, e)
    }
}

/// `strom metadata-shell --snapshot <file> | --directory <dir> [command...]`: kafka-metadata-shell.sh,
/// read-only and one command per run (`ls /image/topics/byName`, `cat /image/topics/byName/t/0`,
/// `find /image/configs`, `tree /image/features`); without a command, commands are read one per line
/// from standard input.
public enum MetadataShellCommand {
    public static let options: [ToolOption] = [
        ToolOption("snapshot", .required, help: "The metadata snapshot file to read."),
        ToolOption("directory", .required, help: "A __cluster_metadata log directory: its newest snapshot and the log after it."),
        ToolOption("help", help: "Print usage information."),
    ]

    public static func main(arguments: [String], console: Console, input: (() -> String?)? = nil) async -> Int32 {
        await AdminTool.run(console: console, options: options) {
            var args = arguments.map { $0 == "-s" ? "--snapshot" : $0 }
            // Words from the first one that is not an option (or an option's value) on are the shell
            // command, even those that look like options.
            var i = 0
            while i < args.count {
                if args[i] == "--snapshot" || args[i] == "--directory" { i += 2 } else if args[i].hasPrefix("--") { i += 1 } else { break }
            }
            if i < args.count { args.insert("--", at: i) }
            let a = try ToolArguments(parsing: args, options: options)
            if a.has("help") { throw ToolUsageError("The Apache Kafka metadata shell") }
            let image: MetadataImage
            if let snapshot = a.value("snapshot") {
                image = try MetadataShellLoader.load(snapshot: snapshot)
            } else if let directory = a.value("directory") {
                image = try MetadataShellLoader.load(directory: directory)
            } else {
                throw ToolUsageError("one of --snapshot or --directory is required")
            }
            var shell = MetadataShell(root: .root(image))
            if !a.positionals.isEmpty {
                console.write(shell.run(a.positionals))
                return 0
            }
            let read = input ?? { readLine() }
            while let line = read() {
                let words = line.split(separator: " ").map(String.init)
                if words.first == "exit" { break }
                console.write(shell.run(words))
            }
            return 0
        }
    }
}

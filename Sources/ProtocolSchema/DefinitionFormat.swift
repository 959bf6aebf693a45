import Foundation

/// Strom's definition format for Kafka messages (files under `Protocol/`).
///
/// One schema per file. The first line names the kind and the schema, then message-level facts:
///
///     request FetchRequest key=1 valid=0-17 flexible=12+ deprecated=0-3 listeners=zkBroker,broker,controller
///
/// Each field is one line, indented two spaces per nesting level, in wire order:
///
///     NAME TYPE VERSIONS [nullable=V] [tag=N tagged=V] [default=D] [entity=E] [flexible=V] [ignorable] [mapKey] [zeroCopy]
///
/// A field whose type names a struct defined in place is followed by that struct's fields, one level
/// deeper. Shared structs (`commonStructs`) follow the fields as `common NAME VERSIONS` blocks.
/// Defaults that are empty or contain spaces are written in double quotes. Lines starting with `#`
/// and blank lines are ignored. Nothing else: no prose, so a diff shows only facts that changed.
public enum DefinitionFormat {
    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    // MARK: printing

    public static func print(_ spec: MessageSpec) -> String {
        var header = "\(spec.kind.rawValue) \(spec.name)"
        if let key = spec.apiKey { header += " key=\(key)" }
        header += " valid=\(spec.validVersions) flexible=\(spec.flexibleVersions)"
        if let d = spec.deprecatedVersions { header += " deprecated=\(d)" }
        if let l = spec.listeners { header += " listeners=\(l.joined(separator: ","))" }
        if spec.latestVersionUnstable { header += " unstable" }
        var lines = [header]
        printFields(spec.fields, depth: 1, into: &lines)
        for common in spec.commonStructs {
            lines.append("common \(common.name) \(common.versions)")
            printFields(common.fields, depth: 1, into: &lines)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func printFields(_ fields: [FieldSpec], depth: Int, into lines: inout [String]) {
        let indent = String(repeating: "  ", count: depth)
        for f in fields {
            var line = "\(indent)\(f.name) \(f.type) \(f.versions)"
            if let n = f.nullableVersions { line += " nullable=\(n)" }
            if let t = f.tag { line += " tag=\(t)" }
            if let t = f.taggedVersions { line += " tagged=\(t)" }
            if let d = f.defaultValue { line += " default=\(quoteIfNeeded(d))" }
            if let e = f.entityType { line += " entity=\(e)" }
            if let fv = f.flexibleVersions { line += " flexible=\(fv)" }
            if f.ignorable { line += " ignorable" }
            if f.mapKey { line += " mapKey" }
            if f.zeroCopy { line += " zeroCopy" }
            lines.append(line)
            if let nested = f.fields { printFields(nested, depth: depth + 1, into: &lines) }
        }
    }

    private static func quoteIfNeeded(_ s: String) -> String {
        (s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "\t" })) ? "\"\(s.replacingOccurrences(of: "\"", with: "\\\""))\"" : s
    }

    // MARK: parsing

    public static func parse(_ text: String) throws -> MessageSpec {
        var lines: [(number: Int, depth: Int, tokens: [String])] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let spaces = raw.prefix(while: { $0 == " " }).count
            guard spaces % 2 == 0 else { throw ParseError(line: i + 1, message: "indentation must be a multiple of two spaces") }
            lines.append((i + 1, spaces / 2, try tokenize(trimmed, line: i + 1)))
        }
        guard let first = lines.first, first.depth == 0 else { throw ParseError(line: 1, message: "missing header line") }
        var spec = try parseHeader(first.tokens, line: first.number)
        var index = 1
        spec.fields = try parseFields(lines, &index, depth: 1)
        while index < lines.count {
            let l = lines[index]
            guard l.depth == 0, l.tokens.count == 3, l.tokens[0] == "common", let v = Versions(l.tokens[2]) else {
                throw ParseError(line: l.number, message: "expected `common NAME VERSIONS`")
            }
            index += 1
            let fields = try parseFields(lines, &index, depth: 1)
            spec.commonStructs.append(StructSpec(name: l.tokens[1], versions: v, fields: fields))
        }
        return spec
    }

    private static func tokenize(_ s: String, line: Int) throws -> [String] {
        var tokens: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        var hadQuotes = false
        for c in s {
            if escaped { current.append(c); escaped = false; continue }
            if inQuotes {
                if c == "\\" { escaped = true } else if c == "\"" { inQuotes = false } else { current.append(c) }
                continue
            }
            if c == "\"" { inQuotes = true; hadQuotes = true; continue }
            if c == " " {
                if !current.isEmpty || hadQuotes { tokens.append(current) }
                current = ""
                hadQuotes = false
                continue
            }
            current.append(c)
        }
        if inQuotes { throw ParseError(line: line, message: "unterminated quote") }
        if !current.isEmpty || hadQuotes { tokens.append(current) }
        return tokens
    }

    private static func keyValues(_ tokens: ArraySlice<String>, line: Int) throws -> (values: [String: String], flags: Set<String>) {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        for t in tokens {
            if let eq = t.firstIndex(of: "=") {
                let key = String(t[..<eq])
                guard values[key] == nil else { throw ParseError(line: line, message: "duplicate key \(key)") }
                values[key] = String(t[t.index(after: eq)...])
            } else {
                flags.insert(t)
            }
        }
        return (values, flags)
    }

    private static func versions(_ text: String?, _ what: String, line: Int) throws -> Versions? {
        guard let text else { return nil }
        guard let v = Versions(text) else { throw ParseError(line: line, message: "bad \(what) versions `\(text)`") }
        return v
    }

    private static func parseHeader(_ tokens: [String], line: Int) throws -> MessageSpec {
        guard tokens.count >= 2, let kind = MessageSpec.Kind(rawValue: tokens[0]) else {
            throw ParseError(line: line, message: "header must start with one of \(MessageSpec.Kind.allCases.map(\.rawValue))")
        }
        let (values, flags) = try keyValues(tokens[2...], line: line)
        let known: Set = ["key", "valid", "flexible", "deprecated", "listeners"]
        if let bad = values.keys.first(where: { !known.contains($0) }) ?? flags.first(where: { $0 != "unstable" }) {
            throw ParseError(line: line, message: "unknown header attribute `\(bad)`")
        }
        guard let valid = try versions(values["valid"], "valid", line: line),
              let flexible = try versions(values["flexible"], "flexible", line: line)
        else { throw ParseError(line: line, message: "header needs valid= and flexible=") }
        var apiKey: Int?
        if let k = values["key"] {
            guard let n = Int(k) else { throw ParseError(line: line, message: "bad key `\(k)`") }
            apiKey = n
        }
        return MessageSpec(
            kind: kind, name: tokens[1], apiKey: apiKey, validVersions: valid, flexibleVersions: flexible,
            deprecatedVersions: try versions(values["deprecated"], "deprecated", line: line),
            listeners: values["listeners"].map { $0.split(separator: ",").map(String.init) },
            latestVersionUnstable: flags.contains("unstable")
        )
    }

    private static let fieldKeys: Set = ["nullable", "tag", "tagged", "default", "entity", "flexible"]
    private static let fieldFlags: Set = ["ignorable", "mapKey", "zeroCopy"]

    private static func parseFields(
        _ lines: [(number: Int, depth: Int, tokens: [String])], _ index: inout Int, depth: Int
    ) throws -> [FieldSpec] {
        var fields: [FieldSpec] = []
        while index < lines.count, lines[index].depth >= depth {
            let l = lines[index]
            guard l.depth == depth else { throw ParseError(line: l.number, message: "unexpected indentation") }
            guard l.tokens.count >= 3, let v = Versions(l.tokens[2]) else {
                throw ParseError(line: l.number, message: "expected `NAME TYPE VERSIONS …`")
            }
            let (values, flags) = try keyValues(l.tokens[3...], line: l.number)
            if let bad = values.keys.first(where: { !fieldKeys.contains($0) }) ?? flags.first(where: { !fieldFlags.contains($0) }) {
                throw ParseError(line: l.number, message: "unknown field attribute `\(bad)`")
            }
            var tag: Int?
            if let t = values["tag"] {
                guard let n = Int(t), n >= 0 else { throw ParseError(line: l.number, message: "bad tag `\(t)`") }
                tag = n
            }
            var field = FieldSpec(
                name: l.tokens[0], type: l.tokens[1], versions: v,
                nullableVersions: try versions(values["nullable"], "nullable", line: l.number),
                taggedVersions: try versions(values["tagged"], "tagged", line: l.number),
                tag: tag, defaultValue: values["default"], ignorable: flags.contains("ignorable"),
                entityType: values["entity"], mapKey: flags.contains("mapKey"), zeroCopy: flags.contains("zeroCopy"),
                flexibleVersions: try versions(values["flexible"], "flexible", line: l.number)
            )
            if (field.taggedVersions == nil) != (field.tag == nil) {
                throw ParseError(line: l.number, message: "tag= and tagged= go together")
            }
            index += 1
            if index < lines.count, lines[index].depth == depth + 1 {
                field.fields = try parseFields(lines, &index, depth: depth + 1)
            }
            fields.append(field)
        }
        return fields
    }
}

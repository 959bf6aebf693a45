/// Compares two schemas fact by fact and says where they differ, as `Message.Field.Sub: what`.
public enum SchemaComparison {
    public static func differences(expected: MessageSpec, actual: MessageSpec) -> [String] {
        var out: [String] = []
        let n = expected.name
        func check<T: Equatable>(_ what: String, _ a: T, _ b: T) {
            if a != b { out.append("\(n): \(what) expected \(a) but found \(b)") }
        }
        check("name", expected.name, actual.name)
        check("kind", expected.kind, actual.kind)
        check("apiKey", expected.apiKey.map(String.init) ?? "-", actual.apiKey.map(String.init) ?? "-")
        check("validVersions", expected.validVersions, actual.validVersions)
        check("flexibleVersions", expected.flexibleVersions, actual.flexibleVersions)
        check("deprecatedVersions", expected.deprecatedVersions?.description ?? "-", actual.deprecatedVersions?.description ?? "-")
        check("listeners", expected.listeners ?? [], actual.listeners ?? [])
        check("latestVersionUnstable", expected.latestVersionUnstable, actual.latestVersionUnstable)
        compareFields(expected.fields, actual.fields, path: n, into: &out)
        check("commonStructs", expected.commonStructs.map(\.name), actual.commonStructs.map(\.name))
        for (e, a) in zip(expected.commonStructs, actual.commonStructs) where e.name == a.name {
            if e.versions != a.versions { out.append("\(n).\(e.name): versions expected \(e.versions) but found \(a.versions)") }
            compareFields(e.fields, a.fields, path: "\(n).\(e.name)", into: &out)
        }
        return out
    }

    static func compareFields(_ expected: [FieldSpec], _ actual: [FieldSpec], path: String, into out: inout [String]) {
        if expected.map(\.name) != actual.map(\.name) {
            out.append("\(path): fields expected \(expected.map(\.name)) but found \(actual.map(\.name))")
            return
        }
        for (e, a) in zip(expected, actual) {
            let p = "\(path).\(e.name)"
            func check(_ what: String, _ x: String?, _ y: String?) {
                if x != y { out.append("\(p): \(what) expected \(x ?? "-") but found \(y ?? "-")") }
            }
            check("type", e.type, a.type)
            check("versions", e.versions.description, a.versions.description)
            check("nullableVersions", e.nullableVersions?.description, a.nullableVersions?.description)
            check("taggedVersions", e.taggedVersions?.description, a.taggedVersions?.description)
            check("tag", e.tag.map(String.init), a.tag.map(String.init))
            check("default", e.defaultValue, a.defaultValue)
            check("ignorable", String(e.ignorable), String(a.ignorable))
            check("entityType", e.entityType, a.entityType)
            check("mapKey", String(e.mapKey), String(a.mapKey))
            check("zeroCopy", String(e.zeroCopy), String(a.zeroCopy))
            check("flexibleVersions", e.flexibleVersions?.description, a.flexibleVersions?.description)
            if (e.fields == nil) != (a.fields == nil) {
                out.append("\(p): inline struct expected \(e.fields != nil) but found \(a.fields != nil)")
            } else if let ef = e.fields, let af = a.fields {
                compareFields(ef, af, path: p, into: &out)
            }
        }
    }

    /// `spec` as it stands up to version `highest`: later versions and the fields only they have removed.
    /// A definition that adds Kafka 4.x versions compares with Kafka 3.9's schema this way.
    public static func clipped(_ spec: MessageSpec, toHighest highest: Int16) -> MessageSpec {
        var out = spec
        out.validVersions = spec.validVersions.intersection(.range(lowest: 0, highest: highest))
        out.fields = clipped(spec.fields, toHighest: highest)
        out.commonStructs = spec.commonStructs.map { StructSpec(name: $0.name, versions: $0.versions, fields: clipped($0.fields, toHighest: highest)) }
        return out
    }

    /// A field that lasts through `highest` is open-ended there, as Kafka states a field its last
    /// version still has (`0+`): one that a later version drops (`0-9`, clipped to 9) reads `0+`.
    static func clipped(_ fields: [FieldSpec], toHighest highest: Int16) -> [FieldSpec] {
        func opened(_ versions: Versions) -> Versions {
            guard case let .range(lowest, top?) = versions, top >= highest else { return versions }
            return .range(lowest: lowest, highest: nil)
        }
        return fields.compactMap { f in
            guard let lowest = f.versions.lowest, lowest <= highest else { return nil }
            var f = f
            f.versions = opened(f.versions)
            f.nullableVersions = f.nullableVersions.map(opened)
            f.taggedVersions = f.taggedVersions.map(opened)
            f.fields = f.fields.map { clipped($0, toHighest: highest) }
            return f
        }
    }
}

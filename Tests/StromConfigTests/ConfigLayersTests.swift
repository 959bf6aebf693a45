import StromConfig
import Testing

@Suite struct ConfigLayersTests {
    private let combinedNode2: [String: String] = [
        "KAFKA_NODE_ID": "2",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:19092,CONTROLLER://:19093",
        "KAFKA_ADVERTISED_LISTENERS": "PLAINTEXT://localhost:19092",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@strom-1:9093,2@strom-2:19093,3@strom-3:29093",
        "KAFKA_LOG_DIRS": "/var/lib/strom/data",
    ]

    @Test func withNothingGivenTheEmbeddedDefaultsAreUsedUnchanged() throws {
        let layers = try ConfigLayers(file: nil, environment: ["HOME": "/root", "CLUSTER_ID": "x"], overrides: [])
        #expect(layers.base == .embeddedDefaults)
        #expect(layers.properties == ServerConfig.embeddedDefaults)
    }

    @Test func environmentAloneFormsTheConfigWithoutTheDefaults() throws {
        let layers = try ConfigLayers(file: nil, environment: combinedNode2, overrides: [])
        #expect(layers.base == .environment)
        #expect(layers.properties.count == combinedNode2.count)
        let config = try ServerConfig.parse(layers.properties)
        #expect(config.nodeID == 2)
        #expect(config.quorumVoters.map(\.description) == ["1@strom-1:9093", "2@strom-2:19093", "3@strom-3:29093"])
        #expect(config.listener(named: "PLAINTEXT") == Listener(name: "PLAINTEXT", host: "", port: 19092))
        #expect(config.clientListeners == [Listener(name: "PLAINTEXT", host: "localhost", port: 19092)])
        #expect(config.logDirs == ["/var/lib/strom/data"])
    }

    @Test func environmentOverridesAndExtendsTheFile() throws {
        let file = ["node.id": "1", "log.dirs": "/from/file", "num.partitions": "3"]
        let layers = try ConfigLayers(file: file, environment: ["KAFKA_LOG_DIRS": "/from/env", "KAFKA_NUM_PARTITIONS": "6", "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false"], overrides: [])
        #expect(layers.base == .file)
        #expect(layers.properties == ["node.id": "1", "log.dirs": "/from/env", "num.partitions": "6", "auto.create.topics.enable": "false"])
    }

    @Test func environmentOverridesTheDefaultsOnlyWhenItSetsAKey() throws {
        // A file with no keys is still the base: the environment is not mixed with the embedded defaults.
        let layers = try ConfigLayers(file: [:], environment: ["KAFKA_NUM_PARTITIONS": "4"], overrides: [])
        #expect(layers.properties == ["num.partitions": "4"])
    }

    @Test func commandLineOverridesWinOverEnvironmentAndFile() throws {
        let layers = try ConfigLayers(
            file: ["num.partitions": "1"], environment: ["KAFKA_NUM_PARTITIONS": "2"],
            overrides: [(key: "num.partitions", value: "3"), (key: "num.partitions", value: "5")]
        )
        #expect(layers.properties["num.partitions"] == "5")
        let onDefaults = try ConfigLayers(file: nil, environment: [:], overrides: [(key: "log.dirs", value: "/tmp/x")])
        #expect(onDefaults.base == .embeddedDefaults)
        #expect(onDefaults.properties["log.dirs"] == "/tmp/x")
        #expect(onDefaults.properties["node.id"] == "1")
    }

    @Test func listenersDefaultToTheAdvertisedOnesOnEveryInterface() throws {
        var env = combinedNode2
        env["KAFKA_LISTENERS"] = nil
        env["KAFKA_ADVERTISED_LISTENERS"] = "PLAINTEXT://strom-2:19092,CONTROLLER://strom-2:19093"
        let layers = try ConfigLayers(file: nil, environment: env, overrides: [])
        #expect(layers.properties["listeners"] == "PLAINTEXT://0.0.0.0:19092,CONTROLLER://0.0.0.0:19093")
        // Given listeners are never replaced.
        let given = try ConfigLayers(file: ["listeners": "PLAINTEXT://127.0.0.1:1"], environment: env, overrides: [])
        #expect(given.properties["listeners"] == "PLAINTEXT://127.0.0.1:1")
    }

    @Test func aBadVariableNameFailsTheLayering() {
        #expect(throws: ConfigError.self) {
            try ConfigLayers(file: nil, environment: ["KAFKA_NODE____ID": "1"], overrides: [])
        }
    }

    @Test func overrideArgumentsAreKeyEqualsValue() {
        #expect(ConfigLayers.override("a.b=c=d")! == (key: "a.b", value: "c=d"))
        #expect(ConfigLayers.override(" a = ")! == (key: "a", value: " "))
        #expect(ConfigLayers.override("=x") == nil)
        #expect(ConfigLayers.override("novalue") == nil)
    }

    @Test func renderedPropertiesParseBack() {
        let properties = [
            "node.id": "1", "listeners": "PLAINTEXT://:9092", "weird key=:#!": "v", "path": "C:\\data\\x",
            "multi": "line\nbreak\ttab", "lead": "  spaced", "empty": "", "unicode": "zürich",
        ]
        let text = JavaProperties.render(properties)
        #expect(text.hasPrefix("empty=\n"))
        let back = Dictionary(JavaProperties.parse(text).map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        #expect(back == properties)
    }
}

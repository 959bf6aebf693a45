// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "protocol-gen", targets: ["ProtocolGen"]),
        .executable(name: "strom-bench", targets: ["strom-bench"]),
        .executable(name: "strom", targets: ["strom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C shim over the system compression libraries, plus CRC32C (SSE4.2 with a table fallback).
        .target(
            name: "CKafkaCodecs",
            linkerSettings: [
                .linkedLibrary("z"), .linkedLibrary("lz4"), .linkedLibrary("zstd"), .linkedLibrary("snappy"),
            ]
        ),
        // Wire primitives, headers, framing and the generated message codecs.
        .target(
            name: "KafkaProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // Record batches (magic v2), records, compression.
        .target(
            name: "KafkaRecords",
            dependencies: ["KafkaProtocol", "CKafkaCodecs", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Durable per-partition logs in Kafka's on-disk layout: segments, indexes, recovery, retention,
        // producer state. Synchronous, not thread-safe; the broker serialises access per partition.
        .target(
            name: "KafkaLog",
            dependencies: [
                "KafkaRecords", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // PURE: __cluster_metadata records -> MetadataImage (MetadataDelta.replay, then apply).
        .target(
            name: "KafkaMetadata",
            dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // PURE: the seeded random generator (SplitMix64) behind everything that must replay from a seed.
        .target(name: "SeededRandom"),
        // PURE: RE2-syntax regular expressions matched in linear time, for patterns clients send.
        .target(name: "LinearRegex"),
        // PURE: classic group coordinator and committed offsets; inputs -> responses and __consumer_offsets records.
        .target(name: "KafkaGroups", dependencies: ["KafkaProtocol", "SeededRandom", "LinearRegex", .product(name: "NIOCore", package: "swift-nio")]),
        // PURE: the transaction coordinator (KIP-98): InitProducerId/AddPartitionsToTxn/EndTxn inputs -> responses,
        // `__transaction_state` records and transaction markers to write.
        .target(name: "KafkaTransactions", dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]),
        // PURE: server.properties parsing and validation.
        .target(name: "StromConfig"),
        // PURE: the KRaft state machine (KIP-595, KIP-996): inputs with `now` -> [RaftAction]; no I/O, no clock.
        .target(name: "KafkaRaft", dependencies: ["SeededRandom"], exclude: ["README.md"]),
        // The quorum's wire: KafkaRaft messages <-> Kafka's Vote/BeginQuorumEpoch/EndQuorumEpoch/Fetch/FetchSnapshot
        // and voter RPCs, log entries <-> `__cluster_metadata` record batches, and `.checkpoint` snapshot files.
        .target(
            name: "KafkaRaftWire",
            dependencies: ["KafkaRaft", "KafkaProtocol", "KafkaRecords", "KafkaLog", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // PURE: partition replication state machines (leader: ISR, high watermark, AlterPartition proposals,
        // acks=all; follower: fetch positions, truncation, error handling). No I/O, no clock.
        .target(name: "KafkaReplication"),
        // PURE: controller decisions (request + image -> metadata records + response).
        .target(
            name: "KafkaController",
            dependencies: ["KafkaMetadata", "KafkaProtocol", "StromConfig", "KafkaSecurity"]
        ),
        // PURE: principals, SASL mechanisms (PLAIN, SCRAM-SHA-256/512 with swift-crypto) and the per-connection
        // SASL state machine of Kafka's SaslHandshake/SaslAuthenticate; no I/O, no clock.
        .target(
            name: "KafkaSecurity",
            dependencies: [
                "KafkaProtocol", "StromConfig", "KafkaMetadata",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // One outbound Kafka connection (TLS, SASL PLAIN/SCRAM, correlation ids, timeouts): the broker's to
        // other nodes and the admin tools' to any Kafka-compatible broker.
        .target(
            name: "KafkaClient",
            dependencies: [
                "KafkaProtocol", "KafkaSecurity", "StromConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The broker shell: SwiftNIO server, request dispatch, one handler per API, metadata and replica services.
        .target(
            name: "KafkaBroker",
            dependencies: [
                "KafkaProtocol", "KafkaRecords", "KafkaMetadata", "KafkaController", "KafkaLog", "KafkaGroups", "KafkaTransactions",
                "StromConfig", "KafkaRaft", "KafkaRaftWire", "KafkaReplication", "KafkaSecurity", "KafkaClient", "LinearRegex",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `strom dump-log`: Kafka's kafka-dump-log output for segments, indexes and checkpoint files (pure).
        .target(
            name: "KafkaLogDump",
            dependencies: ["KafkaLog", "KafkaRecords", "KafkaGroups", "KafkaProtocol", "KafkaMetadata", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The admin tools (`strom topics`, `consumer-groups`, `configs`, `metadata-quorum`, `cluster-id`,
        // `metadata-shell`): Kafka's shell tools over the wire with KafkaClient; pure argument checks,
        // planning and output formatting apart from the requests.
        .target(
            name: "KafkaAdmin",
            dependencies: [
                "KafkaClient", "KafkaProtocol", "KafkaSecurity", "StromConfig", "KafkaMetadata", "KafkaRaftWire", "KafkaRecords", "KafkaLog",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `strom` executable: one combined broker+controller node, and the admin tools.
        .executableTarget(
            name: "strom",
            dependencies: [
                "KafkaBroker", "StromConfig", "KafkaLogDump", "KafkaSecurity", "KafkaMetadata", "KafkaAdmin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Protocol/ definition format: model, parser, printer, upstream JSON reader, comparison.
        .target(name: "ProtocolSchema"),
        .executableTarget(
            name: "ProtocolGen",
            dependencies: ["ProtocolSchema", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "strom-bench",
            dependencies: ["KafkaRecords", "CKafkaCodecs", "SeededRandom", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Metadata load time from a .checkpoint snapshot (not part of the test run).
        .executableTarget(
            name: "strom-metadata-bench",
            dependencies: ["KafkaMetadata", "KafkaProtocol", "KafkaRaft", "KafkaRaftWire", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Log cleaner throughput (not part of the test run).
        .executableTarget(
            name: "strom-cleaner-bench",
            dependencies: ["KafkaLog", "KafkaRecords", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Partition log open time with and without producer state snapshots (not part of the test run).
        .executableTarget(
            name: "strom-log-open-bench",
            dependencies: ["KafkaLog", "KafkaRecords", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Test support: seeded generator, random messages of every version, a test client, a test broker.
        .target(
            name: "KafkaTestKit",
            dependencies: ["KafkaProtocol", "SeededRandom", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Test support for the shell: a test broker assembled as `strom` assembles one, a minimal client,
        // a manual clock. Only the broker's tests build it (and with it the broker).
        .target(
            name: "BrokerTestKit",
            dependencies: [
                "KafkaBroker", "KafkaProtocol", "KafkaMetadata", "StromConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ProtocolSchemaTests", dependencies: ["ProtocolSchema"]),
        .testTarget(
            name: "KafkaBrokerTests",
            dependencies: ["KafkaBroker", "BrokerTestKit", "KafkaTestKit", "SeededRandom", "KafkaMetadata", "KafkaRecords", "KafkaLog", "StromConfig",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")]
        ),
        // The admin tools: pure argument checks, planning and formatting, and each command end to end
        // against a real in-process node (BrokerTestKit).
        .testTarget(
            name: "KafkaAdminTests",
            dependencies: ["KafkaAdmin", "KafkaClient", "BrokerTestKit", "KafkaProtocol", "KafkaRecords", "KafkaMetadata", "KafkaRaftWire",
                           "KafkaLog", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "KafkaMetadataTests", dependencies: ["KafkaMetadata", "KafkaProtocol"]),
        .testTarget(name: "StromConfigTests", dependencies: ["StromConfig"]),
        .testTarget(name: "KafkaSecurityTests", dependencies: ["KafkaSecurity", "KafkaProtocol", "StromConfig", "SeededRandom",
                                                               .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "KafkaRaftTests", dependencies: ["KafkaRaft", "SeededRandom"]),
        .testTarget(name: "LinearRegexTests", dependencies: ["LinearRegex", "SeededRandom"]),
        // The replication simulation runs against both a modeled controller and the real one (KafkaController).
        .testTarget(
            name: "KafkaReplicationTests",
            dependencies: ["KafkaReplication", "SeededRandom", "KafkaController", "KafkaMetadata", "KafkaProtocol"]
        ),
        .testTarget(
            name: "KafkaRaftWireTests",
            dependencies: ["KafkaRaftWire", "KafkaRaft", "KafkaProtocol", "KafkaRecords", "KafkaTestKit", "SeededRandom", "ProtocolSchema", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "KafkaTransactionsTests", dependencies: ["KafkaTransactions", "KafkaProtocol", "SeededRandom"]),
        .testTarget(name: "KafkaGroupsTests", dependencies: ["KafkaGroups", "KafkaProtocol", "KafkaTestKit", "SeededRandom", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "KafkaControllerTests",
            dependencies: ["KafkaController", "KafkaMetadata", "KafkaProtocol", "KafkaTestKit", "SeededRandom", "StromConfig", "KafkaSecurity"]
        ),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", "KafkaTestKit", "SeededRandom", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        // Bytes captured from real clients (Fixtures/): decoded, re-encoded, batches verified.
        .testTarget(
            name: "FixtureTests",
            dependencies: ["KafkaProtocol", "KafkaRecords", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KafkaRecordsTests",
            dependencies: ["KafkaRecords", "CKafkaCodecs", "SeededRandom", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Test helper for KafkaLogTests' kill -9 test: appends and fsyncs batches, printing each durable offset.
        .executableTarget(
            name: "log-crash-writer",
            dependencies: ["KafkaLog", "KafkaRecords", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KafkaLogDumpTests",
            dependencies: ["KafkaLogDump", "KafkaLog", "KafkaRecords", "KafkaGroups", "KafkaProtocol", "KafkaMetadata", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "KafkaLogTests",
            dependencies: ["KafkaLog", "KafkaRecords", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)

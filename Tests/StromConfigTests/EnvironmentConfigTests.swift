import StromConfig
import Testing

@Suite struct EnvironmentConfigTests {
    @Test func underscoreRunsStandForDotUnderscoreAndDash() throws {
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_NODE_ID") == "node.id")
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_CONTROLLER_QUORUM_VOTERS") == "controller.quorum.voters")
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_ABC__DEF") == "abc_def")
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_ABC___DEF") == "abc-def")
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_A_B_C") == "a.b.c")
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_X__Y___Z_W") == "x_y-z.w")
        #expect(try EnvironmentConfig.key(forVariable: "KAFKA_LOG_DIR") == "log.dir")
    }

    @Test func otherVariablesSetNoKey() throws {
        #expect(try EnvironmentConfig.key(forVariable: "PATH") == nil)
        #expect(try EnvironmentConfig.key(forVariable: "CLUSTER_ID") == nil)
        #expect(try EnvironmentConfig.key(forVariable: "kafka_node_id") == nil)
        #expect(try EnvironmentConfig.key(forVariable: "STROM_LOG_LEVEL") == nil)
        for launcher in ["KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_JMX_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_VERSION"] {
            #expect(try EnvironmentConfig.key(forVariable: launcher) == nil, "\(launcher)")
        }
    }

    @Test func namesThatAreNoKeyAreRefusedByName() {
        for bad in ["KAFKA_", "KAFKA_A____B", "KAFKA__NODE", "KAFKA_NODE_", "KAFKA_NODE___"] {
            #expect(throws: ConfigError.self, "\(bad)") { try EnvironmentConfig.key(forVariable: bad) }
            do {
                _ = try EnvironmentConfig.key(forVariable: bad)
            } catch {
                #expect(error.key == bad)
            }
        }
    }

    @Test func variableForKeyIsTheInverse() throws {
        let keys = ["node.id", "log.dirs", "listener.security.protocol.map", "abc_def", "abc-def",
                    "group.consumer.session.timeout.ms", "x_y-z.w", "a1.b2"]
        for key in keys {
            let name = EnvironmentConfig.variable(forKey: key)
            #expect(name.hasPrefix("KAFKA_") && name == name.uppercased())
            #expect(try EnvironmentConfig.key(forVariable: name) == key)
        }
        #expect(EnvironmentConfig.variable(forKey: "controller.quorum.voters") == "KAFKA_CONTROLLER_QUORUM_VOTERS")
        #expect(EnvironmentConfig.variable(forKey: "abc-def") == "KAFKA_ABC___DEF")
    }

    @Test func propertiesTakeEveryKafkaVariableAndNothingElse() throws {
        let env = [
            "KAFKA_NODE_ID": "2", "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": "PLAINTEXT://:19092,CONTROLLER://:19093",
            "KAFKA_HEAP_OPTS": "-Xmx1G", "CLUSTER_ID": "MkU3OEVBNTcwNTJENDM2Qg", "HOME": "/root",
        ]
        #expect(try EnvironmentConfig.properties(env) == [
            "node.id": "2", "process.roles": "broker,controller",
            "listeners": "PLAINTEXT://:19092,CONTROLLER://:19093",
        ])
        #expect(try EnvironmentConfig.properties(["HOME": "/root"]).isEmpty)
    }

    @Test func twoVariablesForOneKeyAreAnError() {
        #expect(throws: ConfigError.self) {
            try EnvironmentConfig.properties(["KAFKA_NODE_ID": "1", "KAFKA_node_id": "2"])
        }
    }

    @Test func clusterIDIsReadTrimmedAndBlankMeansNone() {
        #expect(EnvironmentConfig.clusterID(["CLUSTER_ID": " MkU3OEVBNTcwNTJENDM2Qg "]) == "MkU3OEVBNTcwNTJENDM2Qg")
        #expect(EnvironmentConfig.clusterID(["CLUSTER_ID": "  "]) == nil)
        #expect(EnvironmentConfig.clusterID([:]) == nil)
    }
}

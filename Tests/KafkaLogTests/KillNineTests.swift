#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaRecords
import NIOCore
import Testing
@testable import KafkaLog

/// A real crash: the `log-crash-writer` helper (built next to the test binary) appends and fsyncs
/// batches, printing "ACK <first> <last>" once each is durable; it is SIGKILLed mid-stream, three times, and
/// the log must hold every acknowledged offset exactly once, in order, and keep working.
@Suite struct KillNineTests {
    static let acksPerRound = 300

    @Test func everyAcknowledgedOffsetSurvivesSIGKILL() throws {
        let writer = try #require(Self.crashWriterPath(), "log-crash-writer not found next to the test binary; `swift test` builds it")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var acknowledged: [ClosedRange<Int64>] = []
        for round in 0..<3 {
            var child = try ChildProcess(path: writer, arguments: [directory.path, Fixtures.topic])
            var roundAcks: [ClosedRange<Int64>] = []
            while roundAcks.count < Self.acksPerRound, let line = try child.readLine() {
                roundAcks.append(try Self.parseAck(line))
            }
            #expect(roundAcks.count == Self.acksPerRound, "round \(round): the writer stopped early")
            child.kill()
            while let line = try child.readLine() { roundAcks.append(try Self.parseAck(line)) }
            #expect(child.wait() == SIGKILL, "round \(round): killed by SIGKILL")
            for (previous, next) in zip(roundAcks, roundAcks.dropFirst()) {
                #expect(next.lowerBound == previous.upperBound + 1, "acknowledged in order, no gaps")
            }
            if let first = roundAcks.first, let last = acknowledged.last {
                #expect(first.lowerBound > last.upperBound)
            }
            acknowledged += roundAcks

            let log = try PartitionLog.open(logDirectory: directory.path, topic: Fixtures.topic, partition: 0, now: 0)
            #expect(!log.openReport.cleanShutdown)
            let highest = try #require(acknowledged.last).upperBound
            #expect(log.logEndOffset > highest, "round \(round): every acknowledged offset is in the log")
            let records = try Fixtures.readAll(log)
            Fixtures.expectContiguous(records, from: 0, to: log.logEndOffset)
            for offset in 0..<log.logEndOffset {
                let batch = try RecordBatch(bytes: log.read(fetchOffset: offset, maxBytes: 1, minOneBatch: true).readRecords())
                #expect(batch.header.baseOffset <= offset && offset <= batch.header.lastOffset)
            }
        }
        #expect(acknowledged.first?.lowerBound == 0)
    }

    static func parseAck(_ line: String) throws -> ClosedRange<Int64> {
        let fields = line.split(separator: " ")
        guard fields.count == 3, fields[0] == "ACK", let first = Int64(fields[1]), let last = Int64(fields[2]), first <= last else {
            throw LogError.invalidArgument("writer said: \(line)")
        }
        return first...last
    }

    static func crashWriterPath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        var directory = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Walk up from the test binary (or, on Darwin, from inside the .xctest bundle).
        while let slash = directory.lastIndex(of: "/"), slash != directory.startIndex {
            directory = String(directory[..<slash])
            let candidate = directory + "/log-crash-writer"
            if access(candidate, X_OK) == 0 { return candidate }
            if directory.hasSuffix("/.build-log") || directory.hasSuffix("/.build") { break }
        }
        return nil
    }
}

/// A spawned process whose stdout is read line by line.
struct ChildProcess {
    let pid: pid_t
    private let output: Int32
    private var pending: [UInt8] = []
    private var finished = false

    init(path: String, arguments: [String]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw LogError.io(operation: "pipe", path: path, errno: errno) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/bin:/bin"), nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw LogError.io(operation: "posix_spawn", path: path, errno: rc)
        }
        self.pid = pid
        self.output = fds[0]
    }

    /// The next line, or nil at end of output. Fails after a minute without output (a hung child).
    mutating func readLine() throws -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeFirst(newline + 1)
                return line
            }
            if finished { return nil }
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 60_000)
            if ready == 0 {
                kill()
                throw LogError.io(operation: "poll (child silent for 60 s)", path: "\(pid)", errno: ETIMEDOUT)
            }
            if ready < 0 {
                if errno == EINTR { continue }
                throw LogError.io(operation: "poll", path: "\(pid)", errno: errno)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw LogError.io(operation: "read", path: "\(pid)", errno: errno)
            }
            if count == 0 { finished = true } else { pending += chunk[..<count] }
        }
    }

    func kill() { sendSIGKILL(pid) }

    /// Waits for the child; returns the signal that ended it (0 if it exited).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        close(output)
        return status & 0x7F
    }
}

private func sendSIGKILL(_ pid: pid_t) { _ = kill(pid, SIGKILL) }

import Dispatch
import Foundation
import Logging

/// Waits for SIGTERM or SIGINT, the signals on which the node shuts down cleanly.
final class ShutdownSignals: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { [logger] in
                    guard once.claim() else { return }
                    logger.info("shutting down", metadata: ["signal": "\(sig == SIGTERM ? "SIGTERM" : "SIGINT")"])
                    continuation.resume()
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

/// True for the first caller only.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}

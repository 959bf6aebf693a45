import Foundation
import NIOConcurrencyHelpers

/// Where a tool writes: standard output and standard error, text written exactly as given (Kafka's
/// tools mix `println` and `printf` formats that start with a newline; their bytes are kept).
/// `capturing()` keeps both in memory, for tests.
public final class Console: Sendable {
    private let sink: @Sendable (String, Bool) -> Void
    private let captured = NIOLockedValueBox<(out: String, err: String)>(("", ""))

    public init(sink: @escaping @Sendable (_ text: String, _ toStandardError: Bool) -> Void) {
        self.sink = sink
    }

    /// The process's standard output and error.
    public static func standard() -> Console {
        Console { text, toError in
            let data = Data(text.utf8)
            if toError { FileHandle.standardError.write(data) } else { FileHandle.standardOutput.write(data) }
        }
    }

    /// Keeps what is written (`output`, `errors`).
    public static func capturing() -> Console {
        let box = NIOLockedValueBox<Console?>(nil)
        let console = Console { text, toError in
            box.withLockedValue { $0 }?.captured.withLockedValue { if toError { $0.err += text } else { $0.out += text } }
        }
        box.withLockedValue { $0 = console }
        return console
    }

    public var output: String { captured.withLockedValue { $0.out } }
    public var errors: String { captured.withLockedValue { $0.err } }

    /// `System.out.print`.
    public func write(_ text: String) { sink(text, false) }
    /// `System.out.println`.
    public func line(_ text: String = "") { sink(text + "\n", false) }
    /// `System.err.print`.
    public func writeError(_ text: String) { sink(text, true) }
    /// `System.err.println`.
    public func errorLine(_ text: String) { sink(text + "\n", true) }
}

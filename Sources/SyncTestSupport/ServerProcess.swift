import Foundation
import Synchronization

/// The real `sync-server` executable as a separate process, over real HTTP.
public final class ServerProcess: @unchecked Sendable {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let executable = packageRoot.appendingPathComponent(".build/debug/sync-server").path

    public let dataDirectory: URL
    private var process: Process?
    public private(set) var port = 0
    /// What the server logged until it listened.
    public private(set) var log = ""
    /// Everything the server logged since it was last started.
    private final class LogBuffer: Sendable {
        let text = Mutex("")
    }
    private let logSinceStart = LogBuffer()
    public var logged: String { logSinceStart.text.withLock { $0 } }
    public var processIdentifier: Int32? { process?.processIdentifier }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(dataDirectory: URL = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString)")) throws {
        self.dataDirectory = dataDirectory
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw Failure(description: "build the server first (swift build --build-tests): \(Self.executable) is missing")
        }
    }

    public func run(_ arguments: [String], input: String? = nil) throws -> Int32 {
        try runCapturingErrors(arguments, input: input).status
    }

    /// Runs a command to its end; its exit status and what it wrote to stderr.
    public func runCapturingErrors(_ arguments: [String], input: String? = nil) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = arguments + ["--data-dir", dataDirectory.path]
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errors, as: UTF8.self))
    }

    /// Starts serving on a free port and waits until it listens; `arguments`
    /// are further options of `serve`.
    public func start(_ arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory.path, "--log-level", "info"] + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = stderr.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: #"listening on (127\.0\.0\.1|0\.0\.0\.0):(\d+)"#, options: .regularExpression) {
                port = Int(seen[range].split(separator: ":").last!)!
                log = seen
                logSinceStart.text.withLock { $0 = seen }
                // Keep draining the log so the server never blocks on a full pipe.
                // At the end of the log (the server exited) the handler is
                // called again and again with nothing: let go of it, and so of
                // the pipe, rather than spin a core until the tests end.
                stderr.fileHandleForReading.readabilityHandler = { [logSinceStart] handle in
                    let data = handle.availableData
                    guard !data.isEmpty else {
                        handle.readabilityHandler = nil
                        return
                    }
                    logSinceStart.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
                }
                return
            }
        }
        throw Failure(description: "the server did not start: \(seen)")
    }

    public func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    public func terminate() -> Int32? {
        guard let process else { return nil }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: dataDirectory)
    }
}

import AsyncHTTPClient
@testable import FieldApp
import FieldKit
import Foundation
import Testing

/// The real `field app`, as a caseworker starts it.
@Suite(.serialized, .timeLimit(.minutes(10))) struct AppProcessTests {
    static let executable = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/field").path

    /// Starts `field app` on a laptop home and waits for the address it prints.
    static func start(home: String, arguments: [String] = []) async throws -> (Process, URL, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["app", "--no-browser", "--home", home] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FIELD_PASSPHRASE"] = AppHarness.passphrase
        process.environment = environment
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let line = await offThePool {
            var printed = Data()
            while !printed.contains(UInt8(ascii: "\n")) {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                printed.append(chunk)
            }
            return String(decoding: printed, as: UTF8.self)
        }
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.flatMap { URL(string: String($0)) },
                                   "field app printed: \(line) \(String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))")
        return (process, address, errors)
    }

    /// Runs a blocking read or wait on a thread of its own: the tests' few
    /// cooperative threads must stay free for the servers under test.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    static func exitStatus(_ process: Process) async -> Int32 {
        await offThePool {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func get(_ url: URL) async throws -> (Int, String?) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: .seconds(60))
            try await client.shutdown()
            return (Int(response.status.code), response.headers.first(name: "location"))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func theAppListensOnLoopbackOnlyAndStopsCleanlyOnSIGTERM() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build first: \(Self.executable)")
        let (paths, _) = try AppHarness.laptop()
        let home = paths.data.deletingLastPathComponent().path
        let (process, address, _) = try await Self.start(home: home)
        #expect(address.host == "127.0.0.1" && address.path.hasPrefix("/s/") && address.path.hasSuffix("/open"))
        let port = try #require(address.port)
        #expect(port > 0)
        let opened = try await Self.get(address)
        #expect(opened.0 == 303 && opened.1 == String(address.path.dropLast("open".count)))
        kill(process.processIdentifier, SIGTERM)
        #expect(await Self.exitStatus(process) == 0)
        #expect(process.terminationReason == .exit)
    }

    @Test func aWrongLanguageIsRefusedInOneLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable))
        let (paths, _) = try AppHarness.laptop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["app", "--no-browser", "--language", "de", "--home", paths.data.deletingLastPathComponent().path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = await Self.offThePool { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        #expect(await Self.exitStatus(process) == 1)
        #expect(text == "field: --language must be da or en, not 'de'\n")
    }
}

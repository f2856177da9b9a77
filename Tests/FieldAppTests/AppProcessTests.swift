import AsyncHTTPClient
@testable import FieldApp
import FieldKit
import Foundation
import NIOCore
import Testing

/// The real `field app`, as a caseworker starts it.
@Suite(.serialized, .timeLimit(.minutes(10))) struct AppProcessTests {
    static let executable = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/field").path

    /// Starts `field app` on a laptop home and waits for the address it prints.
    static func start(
        home: String, arguments: [String] = ["--no-browser"], environment extra: [String: String] = [:]
    ) async throws -> (Process, URL, Pipe) {
        let (process, output, errors) = try launch(home: home, arguments: arguments, environment: extra)
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

    /// Starts `field app` with the passphrase at hand; returns its output and errors.
    static func launch(home: String, arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["app", "--home", home] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FIELD_PASSPHRASE"] = AppHarness.passphrase
        environment.merge(extra) { $1 }
        process.environment = environment
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, output, errors)
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

    /// The forwarding file holds the secret address: stopping the app deletes
    /// it, whether or not the browser used it.
    @Test(arguments: [SIGTERM, SIGINT]) func stoppingTheAppDeletesTheBrowsersForwardingFile(signal: Int32) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable))
        let (paths, _) = try AppHarness.laptop()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("app-stop-\(UUID().uuidString)")
        let (runtime, bin) = (scratch.appendingPathComponent("runtime"), scratch.appendingPathComponent("bin"))
        defer { try? FileManager.default.removeItem(at: scratch) }
        for directory in [runtime, bin] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // Stands in for the browser: is handed the file, and opens nothing.
        let browser = bin.appendingPathComponent("xdg-open")
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: browser)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: browser.path)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let (process, _, _) = try await Self.start(home: paths.data.deletingLastPathComponent().path, arguments: [],
                                                   environment: ["XDG_RUNTIME_DIR": runtime.path, "PATH": path])
        // Written before the address is printed.
        let written = try FileManager.default.contentsOfDirectory(atPath: runtime.path)
        #expect(written.count == 1 && written.allSatisfy { $0.hasPrefix("field-app-") && $0.hasSuffix(".html") }, "\(written)")
        kill(process.processIdentifier, signal)
        #expect(await Self.exitStatus(process) == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: runtime.path).isEmpty)
    }

    /// With a key kept by `field unlock` at hand, the passphrase form still
    /// checks the passphrase typed into it: else anyone at the unlocked
    /// laptop's browser could open the data the app had locked with any word.
    @Test func theUnlockFormChecksThePassphraseEvenWithAKeptKey() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable))
        let (paths, _) = try AppHarness.laptop()
        let kept = try KeptKey()
        _ = try FieldSession.unlock(paths: paths, secret: { .passphrase(AppHarness.passphrase) }, for: KeptKey.lifetime,
                                    environment: kept.environment)
        let (process, address, _) = try await Self.start(home: paths.data.deletingLastPathComponent().path,
                                                         environment: ["XDG_RUNTIME_DIR": kept.runtime])
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await Self.refusesAWrongPassphrase(address: address, client: client, paths: paths, kept: kept)
        } catch {
            try? await client.shutdown()
            kill(process.processIdentifier, SIGTERM)
            throw error
        }
        try await client.shutdown()
        kill(process.processIdentifier, SIGTERM)
        #expect(await Self.exitStatus(process) == 0)
    }

    static func refusesAWrongPassphrase(address: URL, client: HTTPClient, paths: FieldPaths, kept: KeptKey) async throws {
        let passphrase: () throws -> Vault.Secret = { .passphrase(AppHarness.passphrase) }
        let base = String(address.path.dropLast("/open".count))
        let opened = try await client.execute(HTTPClientRequest(url: address.absoluteString), timeout: .seconds(60))
        let cookie = try #require(opened.headers.first(name: "set-cookie")?.split(separator: ";").first.map(String.init))
        func request(_ path: String, form: String? = nil) async throws -> (UInt, String?, String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(address.port ?? 0)\(base)\(path)")
            request.headers.add(name: "Cookie", value: cookie)
            if let form {
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: form))
            }
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return (UInt(response.status.code), response.headers.first(name: "location"), body)
        }
        #expect(try await request("/").0 == 200)
        // `field lock`, seen by the app, then `field unlock` again.
        #expect(FieldSession.lock(paths: paths, environment: kept.environment))
        #expect(try await request("/").1 == base + "/unlock")
        _ = try FieldSession.unlock(paths: paths, secret: passphrase, for: KeptKey.lifetime, environment: kept.environment)
        let page = try await request("/unlock").2
        let token = try #require(AppHarness.csrf(in: page))
        let wrong = try await request("/unlock", form: "csrf=\(token)&passphrase=forkert")
        #expect(wrong.0 == 401)
        #expect(try await request("/").1 == base + "/unlock")
    }

    /// A port asked for and taken: one plain line and a non-zero exit.
    @Test func aPortInUseIsOnePlainLine() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable))
        let (paths, _) = try AppHarness.laptop()
        let taken = try ListeningSocket()
        defer { taken.close() }
        let (process, output, errors) = try Self.launch(home: paths.data.deletingLastPathComponent().path,
                                                        arguments: ["--no-browser", "--port", String(taken.port)])
        let text = await Self.offThePool { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        #expect(await Self.exitStatus(process) == 1)
        #expect(text == "field: port \(taken.port) on 127.0.0.1 is in use; leave out --port to take a free one\n")
        #expect(output.fileHandleForReading.readDataToEndOfFile().isEmpty)
    }
}

/// A socket listening on a free port of 127.0.0.1, as another program's.
struct ListeningSocket {
    let descriptor: Int32
    let port: Int

    init() throws {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socketDescriptor, generic, length) == 0 && listen(socketDescriptor, 1) == 0
                    && getsockname(socketDescriptor, generic, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(socketDescriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        descriptor = socketDescriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        Glibc.close(descriptor)
    }
}

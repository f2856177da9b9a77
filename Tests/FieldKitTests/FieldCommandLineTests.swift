import FieldKit
import Foundation
import SyncCore
import Testing

/// The `field` executable as a caseworker runs it: wrong input gives one line
/// on standard error and a non-zero exit, never a stack trace.
@Suite struct FieldCommandLineTests {
    static let executable = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/field").path

    struct Run {
        let status: Int32
        let output: String
        let error: String
    }

    /// Runs `field`; `launcher`, if given, is a command that runs it (such as
    /// `faketime` and its time), `field` and its arguments following.
    static func field(
        _ arguments: [String], home: String, input: String? = nil, environment: [String: String] = [:], launcher: [String] = []
    ) throws -> Run {
        let process = Process()
        let command = launcher + [executable] + arguments + ["--home", home]
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["FIELD_PASSPHRASE"] = "laptop secret"
        env.merge(environment) { $1 }
        process.environment = env
        let (stdout, stderr, stdin) = (Pipe(), Pipe(), Pipe())
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   output: String(decoding: output, as: UTF8.self), error: String(decoding: errors, as: UTF8.self))
    }

    @Test func commandsOnALaptopThatIsNotSetUpSayWhatToDo() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build first: \(Self.executable)")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        for arguments in [["case", "list"], ["status"], ["agenda"], ["sync"]] {
            let run = try Self.field(arguments, home: home)
            #expect(run.status != 0)
            #expect(run.error.split(separator: "\n").count == 1, "\(arguments): \(run.error)")
            #expect(run.error.contains("field login"), "\(arguments): \(run.error)")
        }
    }

    @Test func aSignInToAServerThatIsNotThereFailsInOneLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable))
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        let run = try Self.field(["login", "--server", "http://127.0.0.1:1", "--user", "anna", "--password-stdin"], home: home, input: "x\n")
        #expect(run.status != 0)
        #expect(run.error.hasPrefix("field: the sync server could not be reached"), "\(run.error)")
        let bad = try Self.field(["login", "--server", "not a url", "--user", "anna", "--password-stdin"], home: home, input: "x\n")
        #expect(bad.status != 0 && bad.error.contains("--server must be a URL"), "\(bad.error)")
    }
}

import Foundation
import SyncTestSupport
import Testing

/// `sync-server user` as an administrator runs it: the real executable.
@Suite struct UserCommandTests {
    struct Run {
        let status: Int32
        let output: String
    }

    func run(_ arguments: [String], input: String = "") throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: ServerProcess.executable),
                     "build the server first (swift build --build-tests)")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("user-command-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        process.arguments = arguments + (arguments.contains("--help") ? [] : ["--data-dir", data.path])
        let stdin = Pipe(), output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: text)
    }

    /// bcrypt stops the process on a cost outside 4...31 (a trap, status 132
    /// or 133); the command must say what is wrong and exit 64 instead.
    @Test(arguments: ["3", "32", "0", "300"])
    func aBcryptCostOutOfRangeIsAOneLineError(cost: String) throws {
        let result = try run(["user", "add", "anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", cost],
                             input: "correct horse battery\n")
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains("the bcrypt cost must be from 4 to 31, not \(cost)"), "\(result.output)")
    }

    @Test func aWeakPasswordIsRefusedWithTheReason() throws {
        let result = try run(["user", "add", "anna", "--role", "caseworker", "--password-stdin"], input: "kodeord2024\n")
        #expect(result.status == 64)
        #expect(result.output.contains("the password is refused: it has 11 characters, and at least 12 are needed"), "\(result.output)")
    }

    @Test func theAddedNameIsTheNormalisedOne() throws {
        let result = try run(["user", "add", "Anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", "4"],
                             input: "correct horse battery\n")
        #expect(result.status == 0 && result.output.contains("added caseworker anna"), "\(result.output)")
    }

    /// The code lets supervisors and admins read the audit log (the
    /// authorization matrix checks `GET /v1/audit` for every role); the help
    /// once said only admins could.
    @Test func theHelpSaysWhoReadsTheAuditLogAsTheCodeDoes() throws {
        let help = try run(["user", "--help"]).output.replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        #expect(help.contains("a supervisor reads and writes every case, changes who works on a case, resolves conflicts and reads the audit log"), "\(help)")
        #expect(help.contains("an admin may do the same as a supervisor"), "\(help)")
        #expect(!help.contains("an admin may also read the audit log"))
    }
}

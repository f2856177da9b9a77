import FieldKit
import Foundation
import SyncCore
import Testing

/// The `field` executable against a live sync server, as caseworkers and a
/// supervisor use it: a note that records who was present, a handover, and a
/// key kept unlocked for a working day.
@Suite struct FieldCommandJourneyTests {
    static func newHome(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("journey-\(name)-\(UUID().uuidString)").path
    }

    /// Waits for the process on a thread of its own: the server under test runs
    /// its handlers on the same few cooperative threads as this test.
    static func field(
        _ arguments: [String], home: String, input: String? = nil, environment: [String: String] = [:], launcher: [String] = []
    ) async throws -> FieldCommandLineTests.Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try FieldCommandLineTests.field(arguments, home: home, input: input, environment: environment, launcher: launcher)
                })
            }
        }
    }

    /// Runs a command that must succeed and returns its standard output.
    static func succeed(_ arguments: [String], home: String, input: String? = nil, environment: [String: String] = [:],
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let run = try await field(arguments, home: home, input: input, environment: environment)
        #expect(run.status == 0, "field \(arguments.joined(separator: " ")): \(run.error)", sourceLocation: sourceLocation)
        return run.output
    }

    static func json(_ text: String) throws -> JSONValue {
        try OperationCodec.parse(Data(text.utf8), path: "output")
    }

    static func login(_ user: String, server: String, home: String) async throws {
        _ = try await succeed(["login", "--server", server, "--user", user, "--password-stdin"], home: home,
                        input: TwoLaptopsTests.password + "\n")
    }

    @Test func aNoteRecordsWhoWasPresentAndAHandoverMovesTheCase() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let (anna, bo, dorte) = (Self.newHome("anna"), Self.newHome("bo"), Self.newHome("dorte"))
            try await Self.login("anna", server: server, home: anna)
            let caseID = try await Self.succeed(["case", "new", "Familien Holm", "--citizen", "0101-A"], home: anna)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let mother = try await Self.json(try await Self.succeed(
                ["participant", "add", caseID, "--name", "Lene Holm", "--role", "parent", "--json"], home: anna))
                .member("participant")?.stringValue ?? ""
            let note = try await Self.succeed(
                ["note", "add", caseID, "--kind", "network-meeting", "--title", "Netværksmøde", "--place", "Skolen",
                 "--participant", mother, "--child-present", "--child-view", "Emil vil gerne blive på skolen",
                 "--agreements", "Nyt møde om fire uger"],
                home: anna, input: "Mor, skolen og sundhedsplejersken deltog.").trimmingCharacters(in: .whitespacesAndNewlines)
            let shown = try await Self.json(try await Self.succeed(["note", "show", note, "--json"], home: anna))
            #expect(shown.member("present") == .array([.string(mother)]))
            #expect(shown.member("childPresent") == .bool(true))
            #expect(shown.member("place") == .string("Skolen"))
            #expect(shown.member("childView") == .string("Emil vil gerne blive på skolen"))
            let text = try await Self.succeed(["note", "show", note], home: anna)
            #expect(text.contains("Lene Holm (parent)") && text.contains("the child was present"), "\(text)")
            // Someone who is not a participant of the case cannot be recorded as present.
            let wrong = try await Self.field(["note", "edit", note, "--participant", caseID], home: anna)
            #expect(wrong.status != 0 && wrong.error.contains("is not a participant"), "\(wrong.error)")
            _ = try await Self.succeed(["sync"], home: anna)

            // The supervisor hands the case over to bo; anna stops being a member.
            try await Self.login("dorte", server: server, home: dorte)
            _ = try await Self.succeed(["sync"], home: dorte)
            let assigned = try await Self.succeed(["case", "assign", caseID, "--to", "bo", "--remove-previous"], home: dorte)
            #expect(assigned.contains("no longer a member"), "\(assigned)")
            _ = try await Self.succeed(["sync"], home: dorte)

            // bo's first sync brings the whole case, note and all.
            try await Self.login("bo", server: server, home: bo)
            _ = try await Self.succeed(["sync"], home: bo)
            let received = try await Self.json(try await Self.succeed(["note", "show", note, "--json"], home: bo))
            #expect(received.member("body") == .string("Mor, skolen og sundhedsplejersken deltog."))
            #expect(received.member("present") == .array([.string(mother)]))

            // anna's next sync deletes the case from her laptop, and says so.
            let annaSync = try await Self.succeed(["sync"], home: anna)
            #expect(annaSync.contains("no longer have access to case \(caseID)"), "\(annaSync)")
            let gone = try await Self.field(["case", "show", caseID], home: anna)
            #expect(gone.status != 0)
        }
    }

    @Test func anUnlockedKeyOpensTheDataWithoutThePassphraseUntilLocked() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let home = Self.newHome("anna")
            // A runtime directory as the system makes it: in memory, the user's, mode 0700.
            let runtime = "/dev/shm/journey-runtime-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: runtime) }
            try await Self.login("anna", server: server, home: home)
            let withRuntime = ["XDG_RUNTIME_DIR": runtime]
            // No passphrase in the environment and no terminal: refused.
            let locked = ["XDG_RUNTIME_DIR": runtime, "FIELD_PASSPHRASE": ""]
            #expect(try await Self.field(["case", "list"], home: home, environment: locked).status != 0)

            // A wrong passphrase unlocks nothing and keeps nothing.
            let wrong = try await Self.field(["unlock"], home: home, environment: ["XDG_RUNTIME_DIR": runtime, "FIELD_PASSPHRASE": "not it"])
            #expect(wrong.status != 0 && wrong.error.contains("wrong passphrase"), "\(wrong.error)")
            let kept = (try? FileManager.default.contentsOfDirectory(atPath: runtime + "/field")) ?? []
            #expect(kept.isEmpty)

            _ = try await Self.succeed(["unlock", "--hours", "1"], home: home, environment: withRuntime)
            let keyFiles = try FileManager.default.contentsOfDirectory(atPath: runtime + "/field")
            #expect(keyFiles.count == 1)
            let attributes = try FileManager.default.attributesOfItem(atPath: runtime + "/field/" + keyFiles[0])
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
            // Now commands open the data without the passphrase.
            let created = try await Self.field(["case", "new", "Familien Berg"], home: home, environment: locked)
            #expect(created.status == 0, "\(created.error)")
            // Another laptop home on the same machine is not unlocked by it.
            let other = Self.newHome("bo")
            try await Self.login("bo", server: server, home: other)
            #expect(try await Self.field(["case", "list"], home: other, environment: locked).status != 0)

            #expect(try await Self.succeed(["lock"], home: home, environment: withRuntime).contains("locked"))
            #expect(try await Self.field(["case", "list"], home: home, environment: locked).status != 0)
            // Without a memory-backed runtime directory nothing is kept at all.
            let noRuntime = try await Self.field(["unlock"], home: home, environment: ["XDG_RUNTIME_DIR": ""])
            #expect(noRuntime.status != 0 && noRuntime.error.contains("XDG_RUNTIME_DIR"), "\(noRuntime.error)")
        }
    }
}

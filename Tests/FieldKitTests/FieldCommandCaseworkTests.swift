import FieldKit
import Foundation
import SyncCore
import Testing

/// What the thin commands add over the FieldKit operations they call: a
/// search of the case list, a step done with the next one set at once, a
/// participant changed, and a finalized note corrected.
@Suite struct FieldCommandCaseworkTests {
    typealias CLI = FieldCommandJourneyTests

    @Test func theCaseListSearchesAndAStepDoneSetsTheNextOne() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let anna = CLI.newHome("anna")
            try await CLI.login("anna", server: server, home: anna)
            let holm = try await CLI.succeed(["case", "new", "Familien Holm", "--citizen", "0101-A"], home: anna)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await CLI.succeed(["case", "new", "Familien Ærø", "--citizen", "0202-B"], home: anna)
            let cpr = try await CLI.field(["case", "new", "Familien Berg", "--citizen", "010190-1234"], home: anna)
            #expect(cpr.status != 0 && cpr.error.contains("not a CPR number"), "\(cpr.error)")
            #expect(cpr.error.split(separator: "\n").count == 1, "one line: \(cpr.error)")
            let found = try CLI.json(try await CLI.succeed(["case", "list", "--search", "HOLM", "--json"], home: anna))
            #expect(found.arrayValue.map { $0.member("case") } == [.string(holm)])
            let byCitizen = try await CLI.succeed(["case", "list", "--search", "0202"], home: anna)
            #expect(byCitizen.contains("Familien Ærø") && !byCitizen.contains("Familien Holm"), "\(byCitizen)")

            _ = try await CLI.succeed(["next-step", "set", holm, "Hjemmebesøg", "--due", "2026-12-20"], home: anna)
            let half = try await CLI.field(["next-step", "done", holm, "--then", "Netværksmøde"], home: anna)
            #expect(half.status != 0 && half.error.contains("--then and --due together"), "\(half.error)")
            let done = try await CLI.succeed(
                ["next-step", "done", holm, "--then", "Netværksmøde", "--due", "2027-01-10", "--responsible", "bo"], home: anna)
            #expect(done == "done: Hjemmebesøg\nnext step: Netværksmøde — due 2027-01-10\n")
            let shown = try CLI.json(try await CLI.succeed(["case", "show", holm, "--json"], home: anna))
            #expect(shown.member("nextStep")?.member("text") == .string("Netværksmøde"))
            #expect(shown.member("nextStep")?.member("responsible") == .string("bo"))
        }
    }

    @Test func aParticipantIsChangedAndAFinalizedNoteIsCorrectedBesideTheRecord() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let anna = CLI.newHome("anna")
            try await CLI.login("anna", server: server, home: anna)
            let caseID = try await CLI.succeed(["case", "new", "Familien Holm"], home: anna).trimmingCharacters(in: .whitespacesAndNewlines)
            let emil = try await CLI.succeed(["participant", "add", caseID, "--name", "Emil", "--role", "child", "--age", "9"], home: anna)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let edit = ["participant", "edit", emil, "--age", "10", "--voice", "Jeg vil bo hjemme"]
            #expect(try await CLI.succeed(edit, home: anna) == "changed participant \(emil)\n")
            #expect(try await CLI.succeed(edit, home: anna) == "participant \(emil) already holds that; nothing changed\n")
            let listed = try CLI.json(try await CLI.succeed(["participant", "list", caseID, "--json"], home: anna))
            #expect(listed.arrayValue.first?.member("age") == .integer(10))

            let note = try await CLI.succeed(["note", "add", caseID, "--kind", "home-visit", "--title", "Besøg"], home: anna,
                                             input: "Besøg tirsdag.").trimmingCharacters(in: .whitespacesAndNewlines)
            let early = try await CLI.field(["note", "correct", note, "--title", "Besøg onsdag"], home: anna)
            #expect(early.status != 0 && early.error.contains("is a draft"), "\(early.error)")
            _ = try await CLI.succeed(["note", "finalize", note], home: anna)
            let refused = try await CLI.field(["note", "edit", note, "--title", "Besøg onsdag"], home: anna)
            #expect(refused.status != 0 && refused.error.contains("is finalized") && refused.error.contains("field note correct"), "\(refused.error)")
            let correct = ["note", "correct", note, "--title", "Besøg onsdag"]
            #expect(try await CLI.succeed(correct, home: anna) == "recorded a correction of note \(note)\n")
            #expect(try await CLI.succeed(correct, home: anna) == "note \(note) already shows that; no correction recorded\n")
            let shown = try CLI.json(try await CLI.succeed(["note", "show", note, "--json"], home: anna))
            #expect(shown.member("title") == .string("Besøg"), "the record is unchanged")
            #expect(shown.member("addenda")?.arrayValue.count == 1)
            let text = try await CLI.succeed(["note", "show", note], home: anna)
            #expect(text.contains("Addendum to title by anna") && text.contains("Besøg onsdag"), "\(text)")
        }
    }
}

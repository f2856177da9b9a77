import FieldKit
import Foundation
import SyncCore
import Testing

/// What the thin commands add over the FieldKit operations they call: a
/// search of the case list, and a step done with the next one set at once.
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
}

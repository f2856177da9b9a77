import FieldKit
import Foundation
import SyncCore
import Testing

/// What `field` prints of case data goes through one escaping boundary: a
/// title or a note written to forge lines or drive the terminal shows its
/// control characters as escapes, in every command that prints it.
@Suite struct PrintedTextTests {
    @Test func aForgedTitleAndNoteArePrintedEscapedByEveryCommand() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let home = FieldCommandJourneyTests.newHome("anna")
            try await FieldCommandJourneyTests.login("anna", server: server, home: home)
            let title = "Familien \u{1B}[31mHolm\nfield: signed out"
            let caseID = try await FieldCommandJourneyTests.succeed(["case", "new", title], home: home)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let note = try await FieldCommandJourneyTests.succeed(
                ["note", "add", caseID, "--kind", "phone", "--title", "Opkald \u{202E}fra mor", "--agreements", "Ny aftale\u{9B}2J"],
                home: home, input: "Første linje.\nAnden linje med æøå 👍\u{1B}]0;titel\u{7}").trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await FieldCommandJourneyTests.succeed(["next-step", "set", caseID, "Ring\u{1B}[8m til skolen", "--due", "2030-01-01"], home: home)

            let commands = [["case", "list"], ["case", "show", caseID], ["note", "list", caseID], ["note", "show", note], ["agenda"]]
            for arguments in commands {
                let output = try await FieldCommandJourneyTests.succeed(arguments, home: home)
                let controls = output.unicodeScalars.filter { TerminalTextTests.isDangerous($0) && $0 != "\n" }
                #expect(controls.isEmpty, "field \(arguments.joined(separator: " ")) printed \(controls.map { String($0.value, radix: 16) })")
                #expect(!output.split(separator: "\n").contains { $0.hasPrefix("field: signed out") }, "a forged line in \(arguments)")
            }
            let list = try await FieldCommandJourneyTests.succeed(["case", "list"], home: home)
            #expect(list.contains(#"Familien \u{1B}[31mHolm\nfield: signed out"#), "\(list)")
            let shown = try await FieldCommandJourneyTests.succeed(["note", "show", note], home: home)
            // The body keeps its own lines and its Danish letters and emoji.
            #expect(shown.contains("Første linje.\nAnden linje med æøå 👍\\u{1B}]0;titel\\u{7}"), "\(shown)")
            #expect(shown.contains(#"Opkald \u{202E}fra mor"#) && shown.contains(#"Ny aftale\u{9B}2J"#), "\(shown)")
            // Scripts still get the text as it was written.
            let json = try FieldCommandJourneyTests.json(try await FieldCommandJourneyTests.succeed(["case", "show", caseID, "--json"], home: home))
            #expect(json.member("title") == .string(title))
        }
    }
}

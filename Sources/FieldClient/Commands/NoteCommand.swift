import ArgumentParser
import FieldKit
import Foundation
import SyncCore

struct NoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Write, edit, show, finalize, correct and list journal notes.",
        subcommands: [Add.self, Edit.self, Show.self, Finalize.self, Correct.self, List.self])

    /// The body: from a file, from standard input when it is not a terminal, or
    /// from $EDITOR.
    static func readBody(file: String?, required: Bool) throws -> String? {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw FieldError.invalidArgument("cannot read the body file \(file)")
            }
            return text
        }
        if isatty(STDIN_FILENO) == 0 {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return data.isEmpty && !required ? nil : String(decoding: data, as: UTF8.self)
        }
        guard required else { return nil }
        guard let editor = ProcessInfo.processInfo.environment["EDITOR"], !editor.isEmpty else {
            throw FieldError.invalidArgument("give the note body with --body-file, on standard input, or set $EDITOR")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("field-note-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(editor) \"$1\"", "editor", file.path]
        try process.run()
        process.waitUntilExit()
        return try String(contentsOf: file, encoding: .utf8)
    }

    static func validDate(_ text: String?) throws -> CalendarDate? {
        guard let text else { return nil }
        guard let date = CalendarDate(text) else { throw FieldError.invalidArgument("--date must be YYYY-MM-DD, not '\(text)'") }
        return date
    }

    /// What a note records beyond its body: where, who was there, the family's
    /// and the child's own words, and what was agreed.
    struct ContentOptions: ParsableArguments {
        @Option(help: "Where the contact took place.")
        var place: String?
        @Option(name: .customLong("participant"), parsing: .singleValue,
                help: "A participant of the case who was present (id or first digits); repeat for each.")
        var participants: [String] = []
        @Flag(inversion: .prefixedNo, help: "Whether the child was present.")
        var childPresent: Bool?
        @Option(help: "The family's own view of what was discussed.")
        var familyView: String?
        @Option(help: "The child's own voice: what the child said and wants (Barnets Lov).")
        var childView: String?
        @Option(help: "What was agreed.")
        var agreements: String?

        /// The participants named, by their ids.
        func present(in session: FieldSession) async throws -> [EntityID] {
            var ids: [EntityID] = []
            for text in participants { ids.append(try await session.resolve(text)) }
            return ids
        }

        var isEmpty: Bool {
            place == nil && familyView == nil && childView == nil && agreements == nil && childPresent == nil && participants.isEmpty
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a note in a case; prints its id.",
            discussion: "The body comes from --body-file, from standard input when it is not a terminal, or from $EDITOR. Works offline.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @Option(help: "home-visit, network-meeting, phone or other.")
        var kind: String
        @Option(help: "A title.")
        var title: String?
        @Option(help: "The day of the contact, YYYY-MM-DD (default: today).")
        var date: String?
        @Option(help: "A file holding the note body.")
        var bodyFile: String?
        @OptionGroup var content: ContentOptions
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let kind = try Note.Kind.option(kind, named: "--kind")
                let date = try NoteCommand.validDate(date) ?? CalendarDate.today()
                let body = try NoteCommand.readBody(file: bodyFile, required: true) ?? ""
                let session = try laptop.open()
                let caseID = try await session.resolve(caseID)
                let note = try await session.addNote(in: caseID, NoteDraft(
                    kind: kind, title: title, date: date, place: content.place, present: try await content.present(in: session),
                    childPresent: content.childPresent, childView: content.childView, familyView: content.familyView,
                    agreements: content.agreements, body: body))
                if output.json { Output.json(["note": .string(note.description)]) } else { Output.line(note.description) }
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a draft note: title, date, body, place, who was present, views, agreements.",
            discussion: "A finalized note cannot be changed. Give the new body with --body-file or on standard input. --participant adds to those present.")
        @Argument(help: "The note id (or its first digits).")
        var noteID: String
        @OptionGroup var change: NoteChangeOptions
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let (session, changes) = try await change.changes("change", opening: laptop)
                let noteID = try await session.resolve(noteID)
                try await session.editNote(noteID, changes)
                Output.line("changed note \(noteID)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a note with its addenda and open conflicts.")
        @Argument(help: "The note id (or its first digits).")
        var noteID: String
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let noteID = try await session.resolve(noteID)
                let shown = try await session.note(noteID)
                let (note, conflicts) = (shown.note, shown.openConflicts)
                if output.json {
                    Output.json([
                        "note": .string(noteID.description), "case": .string(note.caseID.description), "kind": .string(note.kind.rawValue),
                        "title": note.title.map(JSONValue.string) ?? .null, "date": note.date.map { .string($0.description) } ?? .null,
                        "status": .string(note.status.rawValue), "body": note.body.map(JSONValue.string) ?? .null,
                        "place": note.place.map(JSONValue.string) ?? .null,
                        "present": .array(note.present.map { .string($0.description) }),
                        "childPresent": note.childPresent.map(JSONValue.bool) ?? .null,
                        "familyView": note.familyView.map(JSONValue.string) ?? .null,
                        "childView": note.childView.map(JSONValue.string) ?? .null,
                        "agreements": note.agreements.map(JSONValue.string) ?? .null,
                        "addenda": .array(note.addenda.map { $0.jsonValue() }),
                        "openConflicts": .array(conflicts.map { $0.jsonValue() }),
                    ])
                    return
                }
                Output.line("\(note.title ?? "(untitled)")  [\(note.status.rawValue)]  \(note.kind)  \(note.date?.description ?? "")")
                Output.line("note \(noteID) in case \(note.caseID)")
                if let place = note.place { Output.line("place:   \(place)") }
                if !note.present.isEmpty || note.childPresent != nil {
                    var names: [String] = []
                    for id in note.present {
                        let participant = shown.presentParticipants[id]
                        names.append(participant.map { "\($0.name ?? "(unnamed)") (\($0.role))" } ?? id.description)
                    }
                    let child = note.childPresent.map { $0 ? "the child was present" : "the child was not present" }
                    Output.line("present: \((names + [child].compactMap { $0 }).joined(separator: "; "))")
                }
                Output.line("")
                Output.block(note.body ?? "(no body)")
                for (heading, text) in [("The family's view", note.familyView), ("The child's view", note.childView), ("Agreements", note.agreements)] {
                    guard let text else { continue }
                    Output.line("")
                    Output.line("\(heading):")
                    Output.block(text)
                }
                for addendum in note.addenda {
                    Output.line("")
                    if let reason = addendum.reason, addendum.isDecision {
                        Output.line("Decision on \(addendum.field) by \(addendum.value.author), \(Output.time(addendum.value.milliseconds)) (the record above is unchanged):")
                        Output.block(Output.text(addendum.value.value))
                        Output.line("Reason: \(reason)")
                    } else {
                        Output.line("Addendum to \(addendum.field) by \(addendum.value.author), \(Output.time(addendum.value.milliseconds)):")
                        Output.block(Output.text(addendum.value.value))
                    }
                }
                for conflict in conflicts {
                    Output.line("")
                    Output.line("Open conflict \(conflict.id) on \(conflict.field):")
                    for (index, value) in conflict.values.enumerated() {
                        Output.line("  [\(index + 1)] \(value.author) on \(value.device), \(Output.time(value.milliseconds)): \(Output.text(value.value))")
                    }
                }
            }
        }
    }

    struct Finalize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Finalize a note: from now on it is a journal record that cannot change.",
            discussion: "Changes that arrive later, or were made offline before the finalization was known, are kept beside it as addenda and listed for review.")
        @Argument(help: "The note id (or its first digits).")
        var noteID: String
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let noteID = try await session.resolve(noteID)
                try await session.finalizeNote(noteID)
                Output.line("finalized note \(noteID)")
            }
        }
    }

    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a finalized note: each changed field is kept beside the record as a dated, signed addendum.",
            discussion: "The record itself never changes; field note show lists the corrections after it. A field given as the note already shows it is not recorded again. Give a corrected body with --body-file or on standard input.")
        @Argument(help: "The note id (or its first digits).")
        var noteID: String
        @OptionGroup var change: NoteChangeOptions
        @OptionGroup var laptop: LaptopOptions

        func run() async throws {
            try await runReportingErrors {
                let (session, changes) = try await change.changes("correct", opening: laptop)
                let noteID = try await session.resolve(noteID)
                let written = try await session.addCorrections(to: noteID, changes)
                Output.line(written == 0 ? "note \(noteID) already shows that; no correction recorded"
                            : "recorded \(written == 1 ? "a correction" : "\(written) corrections") of note \(noteID)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a case's notes by date.")
        @Argument(help: "The case id (or its first digits).")
        var caseID: String
        @OptionGroup var laptop: LaptopOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runReportingErrors {
                let session = try laptop.open()
                let notes = try await session.notes(in: try await session.resolve(caseID))
                if output.json {
                    Output.json(.array(notes.map { ["note": .string($0.id.description), "kind": .string($0.kind.rawValue), "title": $0.title.map(JSONValue.string) ?? .null, "date": $0.date.map { .string($0.description) } ?? .null, "status": .string($0.status.rawValue)] }))
                    return
                }
                if notes.isEmpty { Output.line("no notes in this case yet") }
                for note in notes {
                    Output.line("\(note.id)  \(note.date?.description ?? "----------")  \(note.kind)  \(note.title ?? "(untitled)")  [\(note.status.rawValue)]")
                }
            }
        }
    }
}

@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// A draft's form compared with what is stored: three-way, field by field and
/// tick by tick, with values compared as the form shows them.
@Suite struct NoteThreeWaySaveTests {
    /// `field note add` stores a title with its blanks and a body file's CRLF
    /// as given; the page shows them as a browser does (CR as LF, the title
    /// trimmed by the form) and must save from there.
    @Test func aDraftWrittenByTheCommandLineSavesFromItsOwnForm() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.app.session.addNote(in: visit.caseID, NoteDraft(
                kind: .homeVisit, title: " Hjemmebesøg ", date: CalendarDate("2026-12-01")!, present: [visit.mother],
                body: "Linje et.\r\nLinje to.\r\n"))
            let shown = try await visit.note(noteID)
            let form = NotePagesTests.wholeForm(shown, ["title": "Hjemmebesøg", "body": "Linje et.\r\nLinje to, rettet.\r\n"])
                + [("wasTitle", " Hjemmebesøg "), ("wasBody", "Linje et.\nLinje to.\n"), ("wasChildView", "  "), ("wasKind", "home-visit"),
                   ("wasDate", "2026-12-01"), ("wasPlace", ""), ("wasChildPresent", ""), ("wasFamilyView", ""), ("wasAgreements", "")]
            let saved = try await visit.post("/notes/\(noteID)", form)
            #expect(saved.status == 303, "\(saved.status)")
            #expect(try await visit.note(noteID).body == "Linje et.\nLinje to, rettet.\n")
            // The script's base, as the new note's draft was made of it (a blank view kept as none), is no change either.
            let again = try await visit.post("/notes/\(noteID)/autosave", [("childView", "  Emil siger hej."), ("wasChildView", "  ")])
            #expect(again.status == 200, "\(again.body)")
        }
    }

    /// The 409 page's hidden base, read back by a browser, saves.
    @Test func theRefusedSavesOwnBaseIsNoConflictWhenSentBack() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.draft()
            try await visit.app.session.editNote(noteID, NoteChanges(body: "Kollegaens\r\ntekst. "))
            let refused = try await visit.post("/notes/\(noteID)/autosave", [("body", "Min tekst."), ("wasBody", "Mor og Emil hjemme.")])
            #expect(refused.status == 409)
            let page = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie)
            #expect(page.body.contains(#"<input type="hidden" name="wasBody" value="Kollegaens"#))
            // A browser reads the value with LF, and a form's value may lose the trailing blank.
            #expect(try await visit.post("/notes/\(noteID)/autosave", [("body", "Min tekst."), ("wasBody", "Kollegaens\ntekst.")]).status == 200)
            #expect(try await visit.note(noteID).body == "Min tekst.")
        }
    }

    /// The button sends every field: one the caseworker did not touch is not
    /// written, even when a colleague changed it since, and is no conflict.
    @Test func aFieldNotTouchedKeepsAColleaguesChangeAndTheRestSaves() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.draft()
            let shown = try await visit.note(noteID)
            try await visit.app.session.editNote(noteID, NoteChanges(title: "Kollegaens titel", place: "Hjemme"))
            let form = NotePagesTests.wholeForm(shown, ["body": "Min tekst."]) + NoteThreeWaySaveTests.base(shown)
            let saved = try await visit.post("/notes/\(noteID)", form)
            #expect(saved.status == 303, "\(saved.status)")
            let note = try await visit.note(noteID)
            #expect(note.body == "Min tekst." && note.title == "Kollegaens titel" && note.place == "Hjemme")
            // A field both changed is still refused.
            let refused = try await visit.post("/notes/\(noteID)", NotePagesTests.wholeForm(shown, ["title": "Min titel"]) + Self.base(shown))
            #expect(refused.status == 409)
            #expect(try await visit.note(noteID).title == "Kollegaens titel")
        }
    }

    /// A stale tab's ticks apply only what was changed in it.
    @Test func aStaleTabChangesOnlyTheTicksItChanged() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.draft()
            let shown = try await visit.note(noteID)
            let page = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie)
            #expect(page.body.contains(#"<input type="hidden" name="wasPresent[]" value="\#(visit.mother)">"#))
            // Another tab ticks the child.
            try await visit.app.session.editNote(noteID, NoteChanges(addPresent: [visit.child]))
            // This tab saves its text with the ticks it showed: the child stays.
            let saved = try await visit.post("/notes/\(noteID)", NotePagesTests.wholeForm(shown, ["body": "Ny tekst."]) + Self.base(shown))
            #expect(saved.status == 303)
            #expect(Set(try await visit.note(noteID).present) == [visit.mother, visit.child])
            // Taking the mother off here takes only her off.
            let unticked = NotePagesTests.wholeForm(shown, ["body": "Ny tekst."]).filter { $0.0 != "present[]" } + Self.base(shown)
            #expect(try await visit.post("/notes/\(noteID)", unticked).status == 303)
            #expect(try await visit.note(noteID).present == [visit.child])
        }
    }

    /// "Not stated" is a base too: a child's presence stated elsewhere since is not overwritten unseen.
    @Test func aChildsPresenceStatedElsewhereIsNotOverwritten() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.app.session.addNote(in: visit.caseID, NoteDraft(kind: .homeVisit, date: CalendarDate("2026-12-01")!))
            try await visit.app.session.editNote(noteID, NoteChanges(childPresent: true))
            let refused = try await visit.post("/notes/\(noteID)/autosave", [("childPresent", "no"), ("wasChildPresent", "")])
            #expect(refused.status == 409)
            #expect(try await visit.note(noteID).childPresent == true)
        }
    }

    @Test func theNewNotesWayBackSaysTheDraftIsKeptAndRefusalsNameFieldsInLowerCase() async throws {
        try await NotePagesTests.withVisit { visit in
            let page = try await visit.app.request("/cases/\(visit.caseID)/notes/new", cookie: visit.cookie)
            #expect(!page.body.contains("Annullér"))
            #expect(page.body.contains(#"aria-describedby="note-new-kept">Tilbage til sagen</a>"#))
            #expect(page.body.contains(#"<p id="note-new-kept" class="hint">Notatet gemmes som kladde"#))
            let noteID = try await visit.draft()
            try await visit.app.session.editNote(noteID, NoteChanges(body: "Kollegaens tekst."))
            let refused = try await visit.post("/notes/\(noteID)/autosave", [("body", "Min tekst."), ("wasBody", "Mor og Emil hjemme.")])
            #expect(refused.body.contains("Ikke gemt: notatets tekst er ændret"), "\(refused.body)")
            let problems = try await visit.app.request("/notes/\(noteID)?problem=noteDateInvalid", cookie: visit.cookie)
            #expect(problems.body.contains("<strong>Ret følgende:</strong>"))
        }
    }

    /// The hidden fields a draft's page sends back: what `note` held when shown.
    static func base(_ note: Note) -> [(String, String)] {
        [("wasKind", note.kind.rawValue), ("wasTitle", note.title ?? ""), ("wasDate", note.date?.description ?? ""),
         ("wasPlace", note.place ?? ""), ("wasChildPresent", note.childPresent.map { $0 ? "yes" : "no" } ?? ""),
         ("wasChildView", note.childView ?? ""), ("wasFamilyView", note.familyView ?? ""), ("wasAgreements", note.agreements ?? ""),
         ("wasBody", note.body ?? ""), ("wasPresentShown", "1")] + note.present.map { ("wasPresent[]", $0.description) }
    }
}

@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// No text lost while a note is written: a new note saves itself from the
/// first change, and a save never overwrites unseen what another tab or a
/// colleague changed since the page was shown.
@Suite struct NoteSaveSafetyTests {
    @Test func theScriptsFirstSaveOfANewNoteMakesTheDraftAndSaysWhere() async throws {
        try await NotePagesTests.withVisit { visit in
            let path = "/cases/\(visit.caseID)/notes/autosave"
            let made = try await visit.post(path, [
                ("editor", "faneA"), ("sequence", "1"), ("kind", "home-visit"), ("title", ""), ("date", "2026-12-02"), ("place", ""),
                ("presentShown", "1"), ("childPresent", ""), ("body", "De første linjer."),
            ])
            #expect(made.status == 201 && made.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(made.body.hasPrefix("Gemt kl. "))
            let location = try #require(made.header("location"))
            let noteID = try #require(EntityID(location.replacingOccurrences(of: "\(visit.app.base)/notes/", with: "")))
            #expect(try await visit.note(noteID).body == "De første linjer.")
            // The script saves on at the draft, based on what it sent.
            let next = try await visit.post("/notes/\(noteID)/autosave", [("editor", "faneA"), ("sequence", "2"),
                                                                           ("body", "De første linjer. Og flere."), ("wasBody", "De første linjer.")])
            #expect(next.status == 200)
            #expect(try await visit.note(noteID).body == "De første linjer. Og flere.")

            let bad = try await visit.post(path, [("kind", "home-visit"), ("date", "2026-02-30"), ("body", "Tekst")])
            #expect(bad.status == 422 && bad.body.contains("ikke oprettet") && bad.body.contains("Datoen er ikke en dag"))
            #expect(try await visit.app.session.replica.entities(inCase: visit.caseID).compactMap(Note.init).count == 1)
        }
    }

    @Test func anAutosaveOverAFieldChangedInAnotherTabIsRefusedAndWritesNothing() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.draft()
            let path = "/notes/\(noteID)/autosave"
            // Tab B saves first.
            #expect(try await visit.post(path, [("body", "Tekst fra fane B."), ("wasBody", "Mor og Emil hjemme.")]).status == 200)
            let before = try await visit.waiting()
            // Tab A still shows the old text and saves its own.
            let refused = try await visit.post(path, [("title", "Ny titel"), ("wasTitle", "Hjemmebesøg"),
                                                      ("body", "Tekst fra fane A."), ("wasBody", "Mor og Emil hjemme.")])
            #expect(refused.status == 409 && refused.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(refused.body.contains("Ikke gemt: notatets tekst er ændret et andet sted"), "\(refused.body)")
            #expect(try await visit.waiting() == before)
            let note = try await visit.note(noteID)
            #expect(note.body == "Tekst fra fane B." && note.title == "Hjemmebesøg")
            // The same text as held is no conflict, and a field based on what is held saves.
            #expect(try await visit.post(path, [("body", "Tekst fra fane B."), ("wasBody", "Noget helt tredje")]).status == 200)
            #expect(try await visit.post(path, [("body", "Tekst fra fane A."), ("wasBody", "Tekst fra fane B.")]).status == 200)
            #expect(try await visit.note(noteID).body == "Tekst fra fane A.")
        }
    }

    /// Without the script the button sends the whole form: a field a
    /// colleague changed since the page was shown is not put back, and the
    /// page shows both values; saving again from there is the caseworker's choice.
    @Test func theButtonOverAColleaguesChangeShowsBothValuesAndSavesOnlyWhenAskedAgain() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.draft()
            let page = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie)
            #expect(page.body.contains(#"<input type="hidden" name="wasBody" value="Mor og Emil hjemme.">"#))
            let shown = try await visit.note(noteID)
            try await visit.app.session.editNote(noteID, NoteChanges(body: "Kollegaens tekst."))
            let before = try await visit.waiting()

            let form = NotePagesTests.wholeForm(shown, ["body": "Min tekst."]) + [("wasBody", "Mor og Emil hjemme."), ("wasTitle", "Hjemmebesøg")]
            let refused = try await visit.post("/notes/\(noteID)", form)
            #expect(refused.status == 409)
            #expect(try await visit.waiting() == before)
            #expect(try await visit.note(noteID).body == "Kollegaens tekst.")
            // Both: the typed text in the field, what is held beside it, and the held value to base a second save on.
            #expect(refused.body.contains("Min tekst.</textarea>"))
            #expect(refused.body.contains("Notatets tekst er ændret et andet sted") && refused.body.contains("Kollegaens tekst.</div>"))
            #expect(refused.body.contains(#"<input type="hidden" name="wasBody" value="Kollegaens tekst.">"#))

            let again = try await visit.post("/notes/\(noteID)", NotePagesTests.wholeForm(shown, ["body": "Min tekst."])
                                                + [("wasBody", "Kollegaens tekst."), ("wasTitle", "Hjemmebesøg")])
            #expect(again.status == 303)
            #expect(try await visit.note(noteID).body == "Min tekst.")
        }
    }

    @Test func aStaleTickOnTheDraftIsToldAtTheFieldsAndInTheSummary() async throws {
        try await NotePagesTests.withVisit { visit in
            let noteID = try await visit.draft()
            let page = try await visit.app.request("/notes/\(noteID)?saved=1&problem=noteParticipantInvalid", cookie: visit.cookie)
            #expect(page.body.contains(#"<fieldset id="note-present" tabindex="-1" aria-describedby="note-present-error">"#))
            #expect(page.body.contains(#"<p id="note-present-error" class="field-error">En af dem"#))
            #expect(page.body.contains(#"value="\#(visit.mother)" checked aria-invalid="true">"#))
            #expect(page.body.contains(##"<li><a href="#note-present">En af dem"##))
        }
    }
}

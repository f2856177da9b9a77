@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// Writing a note in the app over real HTTP: the form, the autosave, the
/// finalization and the corrections, each checked in the replica itself.
@Suite struct NotePagesTests {
    /// A case with two participants, and the app over it.
    struct Visit {
        let app: AppHarness
        let cookie: String
        let caseID: EntityID
        let mother: EntityID
        let child: EntityID

        func waiting() async throws -> Int { try await app.session.replica.status().waitingOperations }

        func note(_ id: EntityID) async throws -> Note {
            try #require(try await app.session.replica.entity(id).flatMap(Note.init))
        }

        func post(_ path: String, _ fields: [(String, String)], csrf: String? = nil) async throws -> AppHarness.Answer {
            try await app.request(path, method: "POST", cookie: cookie, form: NotePagesTests.form([("csrf", csrf ?? app.csrfToken)] + fields))
        }

        /// A draft as `field note add` writes it.
        func draft(body: String = "Mor og Emil hjemme.") async throws -> EntityID {
            try await app.session.addNote(in: caseID, NoteDraft(kind: .homeVisit, title: "Hjemmebesøg", date: CalendarDate("2026-12-01")!,
                                                                present: [mother], childPresent: true, body: body))
        }
    }

    static func withVisit(_ body: (Visit) async throws -> Void) async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A", participants: [("Lene Holm", .parent), ("Emil Holm", .child)])
        }) { app in
            let caseID = try #require(try await app.session.replica.cases().first?.id)
            let participants = try await app.session.replica.entities(inCase: caseID).compactMap(Participant.init)
            let mother = try #require(participants.first { $0.name == "Lene Holm" }?.id)
            let child = try #require(participants.first { $0.name == "Emil Holm" }?.id)
            try await body(Visit(app: app, cookie: try await app.signIn(), caseID: caseID, mother: mother, child: child))
        }
    }

    /// A URL-encoded form body, every byte but the unreserved ones escaped
    /// (a `+` left as it is would arrive as a space).
    static func form(_ fields: [(String, String)]) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: unreserved)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: unreserved)!)" }
            .joined(separator: "&")
    }

    /// The whole draft form as the page shows it for `note`, with `changes` on top.
    static func wholeForm(_ note: Note, _ changes: [String: String] = [:]) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("kind", note.kind.rawValue), ("title", note.title ?? ""), ("date", note.date?.description ?? ""), ("place", note.place ?? ""),
            ("presentShown", "1"), ("childPresent", note.childPresent.map { $0 ? "yes" : "no" } ?? ""),
            ("childView", note.childView ?? ""), ("familyView", note.familyView ?? ""), ("agreements", note.agreements ?? ""),
            ("body", note.body ?? ""),
        ].map { name, value in (name, changes[name] ?? value) }
        fields += note.present.map { ("present[]", $0.description) }
        return fields
    }

    @Test func aDraftIsCreatedThroughTheFormAndOpensAsItsEditForm() async throws {
        try await Self.withVisit { visit in
            let casePage = try await visit.app.request("/cases/\(visit.caseID)", cookie: visit.cookie).body
            #expect(casePage.contains(#"href="\#(visit.app.base)/cases/\#(visit.caseID)/notes/new">Nyt notat</a>"#))

            let blank = try await visit.app.request("/cases/\(visit.caseID)/notes/new", cookie: visit.cookie)
            #expect(blank.status == 200)
            #expect(blank.body.contains("<title>Nyt notat · ") && blank.body.contains(#"<legend>Hvem var til stede?</legend>"#))
            #expect(blank.body.contains(#"<label for="present-\#(visit.mother)">Lene Holm (Forælder)</label>"#))
            #expect(blank.body.contains(#"<option value="network-meeting">Netværksmøde</option>"#))
            #expect(blank.body.contains(#"name="date" value="\#(CasePages.today())""#))
            #expect(blank.body.contains(#"<label for="note-child-view">Barnets egne ord</label>"#))
            // Every field has its label.
            for id in ["note-kind", "note-title", "note-date", "note-place", "child-yes", "child-no", "child-not-stated", "note-child-view",
                       "note-family-view", "note-agreements", "note-body"] {
                #expect(blank.body.contains(#"<label for="\#(id)">"#), "\(id)")
            }
            // The new form makes its draft at the first change (app.js), not when it is only opened.
            #expect(blank.body.contains(#"data-create="\#(visit.app.base)/cases/\#(visit.caseID)/notes/autosave""#))
            #expect(blank.body.contains(#"<script src="\#(visit.app.base)/app.js" defer>"#))
            #expect(try await visit.app.session.replica.entities(inCase: visit.caseID).compactMap(Note.init).isEmpty)

            let created = try await visit.post("/cases/\(visit.caseID)/notes", [
                ("kind", "network-meeting"), ("title", "Netværksmøde på skolen"), ("date", "2026-12-03"), ("place", "Skolen"),
                ("present[]", visit.mother.description), ("present[]", visit.child.description), ("childPresent", "yes"),
                ("childView", "Emil vil gerne blive i klassen."), ("familyView", "Mor er bekymret."), ("agreements", "Nyt møde om en måned."),
                ("body", "Lærer, mor og Emil deltog.\r\nStemningen var god."),
            ])
            #expect(created.status == 303)
            let location = try #require(created.header("location"))
            let noteID = try #require(EntityID(location.replacingOccurrences(of: "\(visit.app.base)/notes/", with: "")))
            let note = try await visit.note(noteID)
            #expect(note.kind == .networkMeeting && note.title == "Netværksmøde på skolen" && note.date == CalendarDate("2026-12-03"))
            #expect(note.place == "Skolen" && Set(note.present) == [visit.mother, visit.child] && note.childPresent == true)
            #expect(note.childView == "Emil vil gerne blive i klassen." && note.familyView == "Mor er bekymret.")
            #expect(note.agreements == "Nyt møde om en måned." && note.body == "Lærer, mor og Emil deltog.\nStemningen var god.")
            #expect(note.status == .draft)

            let readsBefore = try await visit.app.reads().count
            let page = try await visit.app.request(fullPath: location, cookie: visit.cookie)
            #expect(page.status == 200)
            #expect(page.body.contains("<title>Kladde til notat · ") && !page.body.contains("<title>Netværksmøde på skolen"))
            #expect(page.body.contains(#"data-autosave="\#(visit.app.base)/notes/\#(noteID)/autosave""#) && page.body.contains(#"<script src="\#(visit.app.base)/app.js" defer>"#))
            #expect(page.body.contains(#"<p id="save-announce" class="visually-hidden" role="status"></p>"#))
            #expect(page.body.contains(">Gem kladde</button>"))
            #expect(page.body.contains("Lærer, mor og Emil deltog.\nStemningen var god.</textarea>"))
            #expect(page.body.contains(#"value="\#(visit.child)" checked>"#) && page.body.contains(#"value="yes" checked>"#))
            // A yes saved cannot be taken back to "not stated": not offered.
            #expect(!page.body.contains("child-not-stated"))
            let policy = try #require(page.header("content-security-policy"))
            #expect(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'") && policy.contains("default-src 'none'"))
            #expect(try await visit.app.reads().dropFirst(readsBefore).contains { $0.what == "note-show" && $0.entity == noteID })

            let script = try await visit.app.request("/app.js", cookie: visit.cookie)
            #expect(script.status == 200 && script.header("content-type")?.hasPrefix("text/javascript") == true)
            #expect(script.body.contains("keepalive") && script.body.contains("visibilitychange") && script.body.contains("pagehide"))
            #expect(try await visit.app.request("/app.js").status == 403)

            let listed = try await visit.app.request("/cases/\(visit.caseID)", cookie: visit.cookie).body
            #expect(listed.contains(#"<a href="\#(visit.app.base)/notes/\#(noteID)">Netværksmøde på skolen</a>"#))
        }
    }

    @Test func aNewNoteWithAWrongDateIsShownAgainAsTyped() async throws {
        try await Self.withVisit { visit in
            let before = try await visit.waiting()
            let answer = try await visit.post("/cases/\(visit.caseID)/notes", [
                ("kind", "home-visit"), ("date", "2026-02-30"), ("body", "Alt det, jeg skrev <ved bordet>."),
            ])
            #expect(answer.status == 422 && answer.body.contains("Datoen er ikke en dag i kalenderen"))
            #expect(answer.body.contains("Alt det, jeg skrev &lt;ved bordet&gt;.</textarea>"))
            // The problem is tied to its field, and the summary that takes the focus links to it.
            #expect(answer.body.contains(#"<p id="note-date-error" class="field-error">Datoen er ikke en dag"#))
            #expect(answer.body.contains(#"aria-describedby="note-date-hint note-date-error" aria-invalid="true""#))
            #expect(answer.body.contains(#"id="error-summary" role="alert" tabindex="-1" autofocus"#))
            #expect(answer.body.contains(##"<li><a href="#note-date">Datoen er ikke en dag"##))
            #expect(try await visit.waiting() == before)
        }
    }

    @Test func autosaveWritesOnlyTheChangedFieldsAndNothingWhenNothingChanged() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let note = try await visit.note(noteID)
            let path = "/notes/\(noteID)/autosave"
            let start = try await visit.waiting()

            let first = try await visit.post(path, Self.wholeForm(note, ["title": "Første hjemmebesøg", "body": "Mor og Emil hjemme.\r\nFar ringede."]))
            #expect(first.status == 200 && first.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(first.body.hasPrefix("Gemt kl. "))
            #expect(try await visit.waiting() == start + 2, "the title and the body, one operation each")

            let saved = try await visit.note(noteID)
            #expect(saved.title == "Første hjemmebesøg" && saved.body == "Mor og Emil hjemme.\nFar ringede.")
            #expect(try await visit.post(path, Self.wholeForm(saved)).status == 200)
            #expect(try await visit.waiting() == start + 2, "an unchanged form writes nothing")
            // The browser's CRLF line breaks are no change either.
            #expect(try await visit.post(path, Self.wholeForm(saved, ["body": "Mor og Emil hjemme.\r\nFar ringede.", "place": ""])).status == 200)
            #expect(try await visit.waiting() == start + 2)

            // The script sends only what changed: here one tick more.
            _ = try await visit.post(path, [("presentShown", "1"), ("present[]", visit.mother.description), ("present[]", visit.child.description)])
            #expect(try await visit.waiting() == start + 3)
            #expect(Set(try await visit.note(noteID).present) == [visit.mother, visit.child])
            // No ticks at all takes both off.
            _ = try await visit.post(path, [("presentShown", "1")])
            #expect(try await visit.waiting() == start + 5)
            #expect(try await visit.note(noteID).present.isEmpty)
            // Fields not sent are left as they are.
            #expect(try await visit.note(noteID).body == "Mor og Emil hjemme.\nFar ringede.")
        }
    }

    @Test func aSaveWithoutTheSessionsTokenIsRefusedAndWritesNothing() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let before = try await visit.waiting()
            for path in ["/notes/\(noteID)/autosave", "/notes/\(noteID)", "/notes/\(noteID)/finalize", "/cases/\(visit.caseID)/notes"] {
                let missing = try await visit.app.request(path, method: "POST", cookie: visit.cookie,
                                                          form: Self.form([("kind", "phone"), ("body", "Overskrevet")]))
                #expect(missing.status == 403, "\(path)")
                #expect(try await visit.post(path, [("kind", "phone"), ("body", "Overskrevet")], csrf: "forkert").status == 403, "\(path)")
            }
            #expect(try await visit.waiting() == before)
            let note = try await visit.note(noteID)
            #expect(note.body == "Mor og Emil hjemme." && note.status == .draft)
        }
    }

    @Test func anAutosaveOvertakenByALaterOneOfTheSameTabIsNotApplied() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let path = "/notes/\(noteID)/autosave"
            // Closing the tab sends the rest beside the save under way; here it arrives first.
            _ = try await visit.post(path, [("editor", "faneA"), ("sequence", "2"), ("body", "Mor og Emil hjemme. Far kom senere.")])
            let late = try await visit.post(path, [("editor", "faneA"), ("sequence", "1"), ("body", "Mor og Emil hjemme. Far")])
            #expect(late.status == 200)
            #expect(try await visit.note(noteID).body == "Mor og Emil hjemme. Far kom senere.")
            // The order is per tab: another tab's first save is its own.
            _ = try await visit.post(path, [("editor", "faneB"), ("sequence", "1"), ("title", "Besøg")])
            #expect(try await visit.note(noteID).title == "Besøg")
            // The form's own button carries no number and always saves.
            _ = try await visit.post("/notes/\(noteID)", [("body", "Skrevet uden script.")])
            #expect(try await visit.note(noteID).body == "Skrevet uden script.")
        }
    }

    /// Locked under a draft (the Lås button, `field lock`, the kept key run
    /// out): the script's save gets a plain refusal, not the passphrase page
    /// (which fetch would follow and read as saved), and nothing is written.
    @Test func anAutosaveWhileLockedIsRefusedPlainlyAndWritesNothing() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let before = try await visit.waiting()
            #expect(try await visit.post("/lock", []).status == 303)
            let answer = try await visit.post("/notes/\(noteID)/autosave", [("editor", "faneA"), ("sequence", "1"),
                                                                              ("body", "Skrevet efter låsningen.")])
            #expect(answer.status == 423 && answer.header("location") == nil)
            #expect(answer.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(answer.body.contains("Appen er låst") && answer.body.contains("ikke gemt"))
            // Every page, the draft's own form too, still goes to the passphrase form (which holds the form).
            let whole = try await visit.post("/notes/\(noteID)", [("body", "Skrevet efter låsningen.")])
            #expect(whole.status == 303 && whole.header("location")?.hasPrefix(visit.app.base + "/unlock?held=") == true)
            #expect(try await visit.waiting() == before)
            #expect(try await visit.note(noteID).body == "Mor og Emil hjemme.")
        }
    }

    /// With the script, the form's own submit carries the tab's next number:
    /// an autosave still under way that arrives after it (then finalized)
    /// must not put its older text back.
    @Test func anAutosaveOlderThanTheNumberedFormSaveIsNotApplied() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let note = try await visit.note(noteID)
            let form = Self.wholeForm(note, ["body": "Sidste ord."]) + [("next", "finalize"), ("editor", "faneA"), ("sequence", "5")]
            #expect(try await visit.post("/notes/\(noteID)", form).header("location") == "\(visit.app.base)/notes/\(noteID)/finalize")
            _ = try await visit.post("/notes/\(noteID)/autosave", [("editor", "faneA"), ("sequence", "4"), ("body", "Sidste")])
            #expect(try await visit.note(noteID).body == "Sidste ord.")
            #expect(try await visit.post("/notes/\(noteID)/finalize", []).status == 303)
            let record = try await visit.note(noteID)
            #expect(record.status == .finalized && record.body == "Sidste ord.")
        }
    }

    /// A title cleared in the form is stored empty: shown as the "untitled"
    /// word, never as an empty heading or a link with no text to click.
    @Test func aNoteWithABlankTitleIsShownAsUntitled() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            #expect(try await visit.post("/notes/\(noteID)/autosave", [("title", " ")]).status == 200)
            #expect(try await visit.note(noteID).title?.isEmpty ?? true)
            let casePage = try await visit.app.request("/cases/\(visit.caseID)", cookie: visit.cookie).body
            #expect(casePage.contains(#"<a href="\#(visit.app.base)/notes/\#(noteID)">(uden titel)</a>"#))
            let draft = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie).body
            #expect(draft.contains("<h1>(uden titel) <span"))
            try await visit.app.session.finalizeNote(noteID)
            let record = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie).body
            #expect(record.contains("<h1>(uden titel) <span"))
        }
    }

    /// A correction with a date that is no day is refused whole, shown again
    /// as typed with the problem, not dropped while the page says "corrected".
    @Test func aCorrectionWithAnInvalidDateIsShownAgainAndWritesNothing() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            try await visit.app.session.finalizeNote(noteID)
            let before = try await visit.waiting()
            let record = try await visit.note(noteID)
            let fields = Self.wholeForm(record, ["date": "2026-13-40", "body": "Mor, Emil og mormor hjemme."])
                .filter { $0.0 != "present[]" && $0.0 != "presentShown" }
            let answer = try await visit.post("/notes/\(noteID)/corrections", fields)
            #expect(answer.status == 422)
            #expect(answer.body.contains("Datoen er ikke en dag i kalenderen"))
            #expect(answer.body.contains(#"value="2026-13-40""#) && answer.body.contains("Mor, Emil og mormor hjemme."))
            #expect(try await visit.waiting() == before)
            #expect(try await visit.note(noteID).addenda.isEmpty)
        }
    }

    @Test func theFormsButtonSavesWithoutScriptAndLosesNothingToAStaleTick() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let note = try await visit.note(noteID)
            let saved = try await visit.post("/notes/\(noteID)", Self.wholeForm(note, ["agreements": "Ring fredag."]))
            #expect(saved.status == 303 && saved.header("location") == "\(visit.app.base)/notes/\(noteID)?saved=1")
            #expect(try await visit.note(noteID).agreements == "Ring fredag.")
            let page = try await visit.app.request("/notes/\(noteID)?saved=1", cookie: visit.cookie).body
            #expect(page.contains("Kladden er gemt."))

            // Someone of another case ticked (a page from before a change): the text is still saved.
            let other = try await visit.app.session.makeCase("Familien Berg", citizen: nil, participants: [("Ole Berg", .parent)])
            let stranger = try #require(try await visit.app.session.replica.entities(inCase: other).compactMap(Participant.init).first?.id)
            let answer = try await visit.post("/notes/\(noteID)/autosave", [("presentShown", "1"), ("present[]", stranger.description),
                                                                             ("body", "Teksten må ikke gå tabt.")])
            #expect(answer.status == 200 && answer.body.contains("er ikke længere deltager på sagen"))
            let kept = try await visit.note(noteID)
            #expect(kept.body == "Teksten må ikke gå tabt." && kept.present == [visit.mother])
        }
    }

    @Test func aNoteBodyFarPastTheAppsSmallFormLimitIsSaved() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let long = String(repeating: "Mor fortalte om ugen, dag for dag. ", count: 6_000)
            #expect(long.utf8.count > 8 * AppRoutes.maximumFormBytes)
            #expect(try await visit.post("/notes/\(noteID)/autosave", [("body", long)]).status == 200)
            #expect(try await visit.note(noteID).body == long)
            let tooLong = String(repeating: "x", count: NotePages.maximumFormBytes + 1)
            #expect(try await visit.post("/notes/\(noteID)/autosave", [("body", tooLong)]).status == 413)
            #expect(try await visit.note(noteID).body == long)
        }
    }

    @Test func finalizingTakesTheConfirmationPost() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            let note = try await visit.note(noteID)
            // The draft's finalize button saves and asks; it does not finalize.
            let asked = try await visit.post("/notes/\(noteID)", Self.wholeForm(note, ["body": "Sidste ord."]) + [("next", "finalize")])
            #expect(asked.status == 303 && asked.header("location") == "\(visit.app.base)/notes/\(noteID)/finalize")
            let asSaved = try await visit.note(noteID)
            #expect(asSaved.status == .draft && asSaved.body == "Sidste ord.")

            let confirm = try await visit.app.request("/notes/\(noteID)/finalize", cookie: visit.cookie)
            #expect(confirm.status == 200 && confirm.body.contains("<h1>Afslut notatet?</h1>"))
            #expect(confirm.body.contains("bliver det en del af sagens journal") && confirm.body.contains("kan det ikke længere ændres"))
            #expect(confirm.body.contains(#"action="\#(visit.app.base)/notes/\#(noteID)/finalize""#) && confirm.body.contains(#"method="post""#))
            #expect(try await visit.note(noteID).status == .draft, "showing the question finalizes nothing")

            let done = try await visit.post("/notes/\(noteID)/finalize", [])
            #expect(done.status == 303 && done.header("location") == "\(visit.app.base)/notes/\(noteID)")
            #expect(try await visit.note(noteID).status == .finalized)
            // Sent again (the back button): the same outcome, not an error.
            #expect(try await visit.post("/notes/\(noteID)/finalize", []).status == 303)
            #expect(try await visit.app.request("/notes/\(noteID)/finalize", cookie: visit.cookie).header("location") == "\(visit.app.base)/notes/\(noteID)")

            let record = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie)
            #expect(record.body.contains("Notatet er afsluttet og en del af sagens journal"))
            #expect(record.body.contains("<div class=\"text\">Sidste ord.</div>") && record.body.contains("Lene Holm (Forælder)"))
            #expect(record.body.contains("Barnet var til stede.") && record.body.contains("<title>Notat · "))
            #expect(!record.body.contains("data-autosave") && !record.body.contains("<script"))
            #expect(!(record.header("content-security-policy") ?? "").contains("script-src"))
        }
    }

    @Test func aFinalizedNoteRefusesEditsClearlyAndTakesACorrection() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            try await visit.app.session.finalizeNote(noteID)
            let before = try await visit.waiting()

            let edit = try await visit.post("/notes/\(noteID)", [("body", "Ændret bagefter.")])
            #expect(edit.status == 409 && edit.body.contains("<h1>Notatet er afsluttet</h1>") && edit.body.contains("tilføj en rettelse"))
            let autosave = try await visit.post("/notes/\(noteID)/autosave", [("body", "Ændret bagefter.")])
            #expect(autosave.status == 409 && autosave.body.contains("notatet er afsluttet og kan ikke ændres"))
            #expect(try await visit.waiting() == before)
            #expect(try await visit.note(noteID).body == "Mor og Emil hjemme.")

            let record = try await visit.note(noteID)
            let corrected = try await visit.post("/notes/\(noteID)/corrections",
                                                 Self.wholeForm(record, ["body": "Mor, Emil og mormor hjemme."]).filter { $0.0 != "present[]" && $0.0 != "presentShown" })
            #expect(corrected.status == 303 && corrected.header("location") == "\(visit.app.base)/notes/\(noteID)?corrected=1")
            #expect(try await visit.waiting() == before + 1)
            let note = try await visit.note(noteID)
            #expect(note.body == "Mor og Emil hjemme." && note.addenda.map(\.field) == [Note.Field.body])

            let page = try await visit.app.request("/notes/\(noteID)?corrected=1", cookie: visit.cookie).body
            #expect(page.contains("Rettelsen er gemt.") && page.contains("<h3>Rettelse af notatets tekst</h3>"))
            #expect(page.contains("<div class=\"text\">Mor, Emil og mormor hjemme.</div>") && page.contains("<p class=\"who\">anna, "))
            #expect(page.contains("<div class=\"text\">Mor og Emil hjemme.</div>"), "the record as it was finalized")
            // The form shows the note as corrected: sent again, nothing new.
            let again = try await visit.post("/notes/\(noteID)/corrections", Self.wholeForm(try await visit.note(noteID), [
                "body": "Mor, Emil og mormor hjemme.",
            ]).filter { $0.0 != "present[]" && $0.0 != "presentShown" })
            #expect(again.header("location") == "\(visit.app.base)/notes/\(noteID)?corrected=0")
            #expect(try await visit.waiting() == before + 1)

            let draftID = try await visit.draft()
            let onDraft = try await visit.post("/notes/\(draftID)/corrections", [("body", "Rettelse")])
            #expect(onDraft.status == 409 && onDraft.body.contains("Notatet er en kladde"))
            #expect(try await visit.app.request("/notes/0123456789abcdef0123456789abcdef", cookie: visit.cookie).status == 404)
            #expect(try await visit.app.request("/notes/\(visit.caseID)", cookie: visit.cookie).status == 404)
        }
    }

    @Test func aConflictOnANoteFieldShowsBothValuesAndWhoSettlesIt() async throws {
        try await Self.withVisit { visit in
            let noteID = try await visit.draft()
            // Dorte's laptop changed the body without seeing Anna's change.
            try await visit.app.session.makeConflict(onNote: noteID, mine: "Mor og Emil til stede.", theirs: "Far deltog telefonisk.")
            #expect(try await visit.app.session.note(noteID).openConflicts.count == 1)

            let page = try await visit.app.request("/notes/\(noteID)", cookie: visit.cookie).body
            #expect(page.contains("Feltet »Notatets tekst« er i konflikt.") && page.contains("En leder afgør konflikten"))
            #expect(page.contains("<div class=\"text\">Far deltog telefonisk.</div>") && page.contains("<div class=\"text\">Mor og Emil til stede.</div>"))
            #expect(page.contains("<span class=\"who\">dorte, ") && page.contains("<span class=\"who\">anna, "))
        }
    }

    @Test func theWordsTheNotePagesLookUpExistInBothLanguages() {
        let catalogues = AppRoutes.catalogues
        var keys = [PageError.noteNotFound, .noteFinalized, .noteNotFinalized].flatMap { [$0.headingKey, $0.messageKey] }
        keys += NoteForm.Problem.allCases.map(\.rawValue)
        keys += ["noteSavedAt", "noteSaveRefusedFinalized", "noteSavedNotice", "noteCorrectedNone", "noteCorrectedOne", "noteCorrectedMany",
                 "noteWrittenBy", "noteCorrectionOf", "noteDecisionOf", "noteDecisionReason", "noteConflictHeading", "noteValueEmpty",
                 "noteChildWasPresent", "noteChildWasNotPresent", "noteChildPresenceNotStated", "notePresentGone", "noteNewHeading",
                 "noteDraftHeading", "noteHeading", "noteFinalizeHeading"]
        let fields = [Note.Field.kind, Note.Field.title, Note.Field.date, Note.Field.place, Note.Field.body, Note.Field.familyView,
                      Note.Field.childView, Note.Field.agreements, Note.Field.childPresent, Note.Field.present]
        for language in Language.allCases {
            let texts = catalogues.texts(for: language)
            #expect(keys.filter { texts[$0] == nil }.isEmpty, "\(language): \(keys.filter { texts[$0] == nil })")
            let words = fields.map { catalogues.word("noteField", $0, language) }
            #expect(Set(words).isDisjoint(with: fields), "\(language): \(words)")
        }
        #expect(Set(AppRoutes.renderer.templateSources.keys).isSuperset(of: ["note-new", "note-draft", "note-finalize", "note", "note-fields"]))
        #expect(AppRoutes.renderer.scripts["app.js"] != nil)
    }
}

/// The computer's clock, for the operations another laptop writes in a test.
struct NowClock: WallClock {
    func milliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

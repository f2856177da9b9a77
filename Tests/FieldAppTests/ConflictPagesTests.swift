@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// The conflicts of the caseworker's cases: listed, one with its values
/// side by side, and settled by a supervisor who uses the app.
@Suite struct ConflictPagesTests {
    /// A case with a note whose body anna (on this laptop) and dorte (on
    /// hers) changed from the same text without seeing each other's change.
    static func caseWithConflict(_ session: FieldSession) async throws {
        let caseID = try await session.makeCase("Familien Holm", citizen: "0101-A")
        let noteID = try await session.addNote(in: caseID, NoteDraft(kind: .homeVisit, title: "Hjemmebesøg", body: "Hjemmebesøg."))
        try await session.makeConflict(onNote: noteID, mine: "Mor og Emil til stede. Emil fortalte om skolen.",
                                       theirs: "Mor og Emil til stede. Far deltog telefonisk.")
    }

    static func ids(_ app: AppHarness) async throws -> (caseID: EntityID, noteID: EntityID, conflict: String) {
        let caseID = try #require(try await app.session.replica.cases().first?.id)
        // From the replica, so that the test itself logs no read.
        let conflict = try #require(try await app.session.replica.entities(inCase: caseID).flatMap { $0.conflicts() }.first(where: \.isOpen))
        return (caseID, conflict.entity, conflict.id)
    }

    @Test func theConflictsPageListsTheOpenConflictsOfMyCases() async throws {
        try await AppHarness.with(prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (caseID, _, id) = try await Self.ids(app)
            let page = try await app.request("/conflicts", cookie: cookie)
            #expect(page.status == 200)
            #expect(page.body.contains("1 åben konflikt på sagerne på denne computer."))
            #expect(page.body.contains(#"href="\#(app.base)/conflicts/\#(id)""#))
            #expect(page.body.contains("Notat »Hjemmebesøg«") && page.body.contains("Notatets tekst"))
            #expect(page.body.contains(#"href="\#(app.base)/cases/\#(caseID)">Familien Holm</a>"#))
            #expect(page.body.contains("anna, dorte") || page.body.contains("dorte, anna"))
            #expect(page.header("cache-control") == "no-store")
            // Shown, so logged as read, as `field conflicts` logs it.
            #expect(try await app.reads().map { "\($0.what) \($0.caseID)" } == ["conflicts \(caseID)"])
        }
    }

    @Test func aConflictShowsTheValuesSideBySideWithWhoWhereAndWhen() async throws {
        try await AppHarness.with(prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (caseID, noteID, id) = try await Self.ids(app)
            let page = try await app.request("/conflicts/\(id)", cookie: cookie)
            #expect(page.status == 200)
            let body = page.body
            #expect(body.contains("<h1>Konflikt</h1>") && body.contains("Familien Holm"))
            #expect(body.contains(#"<a href="\#(app.base)/notes/\#(noteID)">Notat »Hjemmebesøg«</a>"#))
            #expect(body.contains("Værdi 1") && body.contains("Værdi 2"))
            #expect(body.contains("<dd>anna</dd>") && body.contains("<dd>dorte</dd>"))
            #expect(body.contains("Denne computer") && body.contains("Den computer, dorte brugte"))
            // Only what differs is marked, and announced.
            #expect(body.contains("<mark><span class=\"visually-hidden\">[forskel: </span>Emil fortalte om skolen.<span class=\"visually-hidden\"> ]</span></mark>"))
            #expect(body.contains("<mark><span class=\"visually-hidden\">[forskel: </span>Far deltog telefonisk.<span class=\"visually-hidden\"> ]</span></mark>"))
            #expect(!body.contains("<mark><span class=\"visually-hidden\">[forskel: </span>Mor"))
            // A caseworker is told what happens next, and gets no form.
            #expect(body.contains("En teamleder afgør konflikten."))
            #expect(!body.contains(#"name="reason""#) && !body.contains(#"name="choice""#))
            let reads = try await app.reads()
            #expect(reads.map(\.what) == ["conflicts"] && reads.map(\.caseID) == [caseID] && reads.map(\.entity) == [noteID])
        }
    }

    @Test func theCasePageListsItsOpenConflictsAndTheirPages() async throws {
        try await AppHarness.with(prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (caseID, _, id) = try await Self.ids(app)
            let page = try await app.request("/cases/\(caseID)", cookie: cookie).body
            #expect(page.contains("Sagen har 1 åben konflikt."))
            #expect(page.contains(#"<li><a href="\#(app.base)/conflicts/\#(id)">Notat »Hjemmebesøg«: Notatets tekst</a>"#))
        }
    }

    @Test func anUnknownConflictIsANotFoundPage() async throws {
        try await AppHarness.with(prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, noteID, _) = try await Self.ids(app)
            var random = SystemRandomSource()
            for path in ["/conflicts/\(noteID)/title/concurrent-values", "/conflicts/nothing/title/concurrent-values",
                         "/conflicts/\(EntityID(using: &random))/body/concurrent-values"] {
                let page = try await app.request(path, cookie: cookie)
                #expect(page.status == 404 && page.body.contains("Konflikten findes ikke"), "\(path)")
            }
        }
    }

    @Test func aCaseworkerCannotSettle() async throws {
        try await AppHarness.with(prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, _, id) = try await Self.ids(app)
            let waiting = try await app.session.replica.status().waitingOperations
            let refused = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&choice=value-1&reason=Fordi")
            #expect(refused.status == 403 && refused.body.contains("Kun teamledere"))
            #expect(try await app.session.replica.status().waitingOperations == waiting)
        }
    }

    /// The form's values, as the page gave them.
    static func valueIDs(in page: String) throws -> String {
        let range = try #require(page.range(of: #"name="values" value=""#))
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.remove(charactersIn: "æøåÆØÅ")
        return text.addingPercentEncoding(withAllowedCharacters: allowed)!
    }

    @Test func aSupervisorSettlesWithAReasonAndTheDecisionIsShown() async throws {
        try await AppHarness.with(role: "supervisor", prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, noteID, id) = try await Self.ids(app)
            let page = try await app.request("/conflicts/\(id)", cookie: cookie).body
            #expect(page.contains("Du kan afgøre konflikten herunder"))
            #expect(page.contains(#"<form method="post" action="\#(app.base)/conflicts/\#(id)""#))
            #expect(AppHarness.csrf(in: page) == app.csrfToken)
            #expect(page.contains(#"<label for="reason">Begrundelse</label>"#) && page.contains(#"<label for="merged">Samlet værdi</label>"#))
            let values = try Self.valueIDs(in: page)
            let waiting = try await app.session.replica.status().waitingOperations

            // No reason: 422, the message next to the field, the choice and the merged text kept.
            let merged = "Mor og Emil til stede. Emil fortalte om skolen. Far deltog telefonisk."
            let missing = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&values=\(values)&choice=merged&merged=\(Self.encoded(merged))&reason=+")
            #expect(missing.status == 422)
            #expect(missing.body.contains(#"<p id="reason-error" class="field-error">Skriv en begrundelse."#))
            #expect(missing.body.contains(#"aria-invalid="true""#))
            #expect(missing.body.contains(#"value="merged" checked"#) && missing.body.contains(">\(merged)</textarea>"))
            // Nothing picked: 422 at the choice.
            let unpicked = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                 form: "csrf=\(app.csrfToken)&values=\(values)&reason=Samlet")
            #expect(unpicked.status == 422 && unpicked.body.contains(#"<p id="choice-error" class="field-error">Vælg en af værdierne"#))
            // Merged chosen, nothing written: 422 at the merged value.
            let empty = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                              form: "csrf=\(app.csrfToken)&values=\(values)&choice=merged&merged=&reason=Samlet")
            #expect(empty.status == 422 && empty.body.contains(#"<p id="merged-error" class="field-error">Skriv den samlede værdi"#))
            // A reason is counted in letters, as its message says: 1,001 æ is one too many.
            let wordy = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                              form: "csrf=\(app.csrfToken)&values=\(values)&choice=value-1&reason=\(Self.encoded(String(repeating: "æ", count: 1001)))")
            #expect(wordy.status == 422 && wordy.body.contains(#"<p id="reason-error" class="field-error">Begrundelsen må højst være på 1000 tegn."#))
            // A form just over the largest the page reads: refused as too large, nothing read of it.
            let padding = String(repeating: "a", count: NotePages.maximumFormBytes)
            let tooLarge = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                 form: "csrf=\(app.csrfToken)&values=\(values)&choice=merged&reason=R&merged=\(padding)")
            #expect(tooLarge.status == 413)
            #expect(try await app.session.replica.status().waitingOperations == waiting)

            // A merged note text is long: well over the small forms' 16 KiB once posted.
            let long = merged + String(repeating: " Emil fortalte om skolekøkkenet og grøden.", count: 600)
            let settled = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&values=\(values)&choice=merged&merged=\(Self.encoded(long))&reason=\(Self.encoded("Begge dele skete"))")
            #expect(settled.status == 303 && settled.header("location") == "\(app.base)/conflicts/\(id)")
            // One change, waiting for the next sync like any other.
            #expect(try await app.session.replica.status().waitingOperations == waiting + 1)
            let note = try #require(try await app.session.replica.entity(noteID))
            #expect(note.conflicts().filter(\.isOpen).isEmpty)
            #expect(note.value(of: Note.Field.body) == .string(long))

            let shown = try await app.request("/conflicts/\(id)", cookie: cookie)
            #expect(shown.status == 200 && shown.body.contains("<h1>Afgjort konflikt</h1>"))
            #expect(shown.body.contains("Begge dele skete") && shown.body.contains("Konflikten er afgjort."))
            #expect(!shown.body.contains(#"name="reason""#))

            // The same form again (another tab): a clear page, nothing written.
            let stale = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                              form: "csrf=\(app.csrfToken)&values=\(values)&choice=value-1&reason=Igen")
            #expect(stale.status == 409 && stale.body.contains("Konflikten er allerede afgjort") && stale.body.contains("Begge dele skete"))
            #expect(try await app.session.replica.status().waitingOperations == waiting + 1)
        }
    }

    @Test func aSupervisorPicksAValue() async throws {
        try await AppHarness.with(role: "supervisor", prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, noteID, id) = try await Self.ids(app)
            let values = try Self.valueIDs(in: try await app.request("/conflicts/\(id)", cookie: cookie).body)
            let conflict = try #require(try await app.session.replica.entity(noteID)?.conflicts().first { $0.id == id })
            let settled = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&values=\(values)&choice=value-2&reason=Dortes+gælder")
            #expect(settled.status == 303)
            #expect(try await app.session.replica.entity(noteID)?.value(of: Note.Field.body) == conflict.values[1].value)
        }
    }

    /// A value synced in after the page was opened is never settled unseen.
    @Test func aConflictThatChangedSinceTheFormWasOpenedIsNotSettled() async throws {
        try await AppHarness.with(role: "supervisor", prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, _, id) = try await Self.ids(app)
            let waiting = try await app.session.replica.status().waitingOperations
            let changed = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&values=other&choice=value-1&reason=Fordi")
            #expect(changed.status == 409 && changed.body.contains("Konflikten har fået en ny værdi"))
            #expect(changed.body.contains(#"name="reason""#))
            // The values may be numbered anew: the choice is made again, the reason stays.
            #expect(!changed.body.contains(" checked") && changed.body.contains(">Fordi</textarea>"), "\(changed.body)")
            // Without the token nothing is decided either.
            let forged = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie, form: "choice=value-1&reason=Fordi")
            #expect(forged.status == 403)
            #expect(try await app.session.replica.status().waitingOperations == waiting)
        }
    }

    /// A finalized note that dorte changed on her laptop (`change`) without
    /// having seen the finalization.
    static func lateChange(
        _ session: FieldSession, _ change: (inout OperationAuthor, EntityState) throws -> SyncCore.Operation
    ) async throws {
        let caseID = try await session.makeCase("Familien Holm", citizen: "0101-A")
        let noteID = try await session.addNote(in: caseID, NoteDraft(kind: .homeVisit, title: "Hjemmebesøg", body: "Mor og Emil."))
        let seen = try #require(try await session.replica.entity(noteID))
        try await session.finalizeNote(noteID)
        var random = SystemRandomSource()
        var dorte = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("dorte")!, wallClock: NowClock())
        let late = try change(&dorte, seen)
        try await session.replica.storePulled([late], removedCases: [], cursor: "1")
    }

    /// The note's agreements, empty when it was finalized, changed late.
    static func lateChangeToAnEmptyField(_ session: FieldSession) async throws {
        try await lateChange(session) { dorte, seen in try dorte.set(Note.Field.agreements, to: "Ny aftale", on: seen) }
    }

    /// A change to a field the finalized note never had is a conflict of
    /// one value: its page must show it, not fail looking for a second.
    @Test func aLateChangeToAnEmptyFieldOfAFinalizedNoteHasItsPage() async throws {
        try await AppHarness.with(prepare: Self.lateChangeToAnEmptyField) { app in
            let cookie = try await app.signIn()
            let (_, _, id) = try await Self.ids(app)
            #expect(id.hasSuffix("/agreements/edit-after-finalization"))
            let page = try await app.request("/conflicts/\(id)", cookie: cookie)
            #expect(page.status == 200 && page.body.contains("Ny aftale") && page.body.contains("efter at notatet var afsluttet"))
            #expect(page.body.contains("Værdi 1") && !page.body.contains("Værdi 2"))
        }
    }

    /// With one value only, picking it takes the late change: the note can
    /// also be kept as it was finalized, its field empty.
    @Test func aSupervisorKeepsAFinalizedNoteAsItWas() async throws {
        try await AppHarness.with(role: "supervisor", prepare: Self.lateChangeToAnEmptyField) { app in
            let cookie = try await app.signIn()
            let (_, noteID, id) = try await Self.ids(app)
            let page = try await app.request("/conflicts/\(id)", cookie: cookie).body
            #expect(page.contains(#"<label for="choice-keep">Behold notatet, som det blev afsluttet"#))
            let values = try Self.valueIDs(in: page)
            let kept = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                             form: "csrf=\(app.csrfToken)&values=\(values)&choice=keep&reason=Aftalen+blev+ikke+indgået")
            #expect(kept.status == 303)
            let note = try #require(try await app.session.replica.entity(noteID))
            #expect(note.conflicts().filter(\.isOpen).isEmpty)
            #expect(note.value(of: Note.Field.agreements) == nil)
            let shown = try await app.request("/conflicts/\(id)", cookie: cookie).body
            #expect(shown.contains("<h1>Afgjort konflikt</h1>") && shown.contains("Aftalen blev ikke indgået"))
        }
    }

    /// A late change to a list (who was present) is settled by picking: the
    /// note's list cannot be "kept" by one value.
    @Test func aLateChangeToAListIsSettledByPicking() async throws {
        try await AppHarness.with(role: "supervisor", prepare: { session in
            try await Self.lateChange(session) { dorte, seen in
                var random = SystemRandomSource()
                return try dorte.add(.string(EntityID(using: &random).description), to: Note.Field.present, on: seen)
            }
        }) { app in
            let cookie = try await app.signIn()
            let (_, _, id) = try await Self.ids(app)
            #expect(id.hasSuffix("/present/edit-after-finalization"))
            let page = try await app.request("/conflicts/\(id)", cookie: cookie).body
            #expect(page.contains("choice-1") && !page.contains("choice-keep"))
            let values = try Self.valueIDs(in: page)
            let refused = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&values=\(values)&choice=keep&reason=Fordi")
            #expect(refused.status == 422)
        }
    }

    /// Keeping the note as finalized settles a late change only.
    @Test func keepingAsFinalizedIsNoAnswerToConcurrentValues() async throws {
        try await AppHarness.with(role: "supervisor", prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, _, id) = try await Self.ids(app)
            let page = try await app.request("/conflicts/\(id)", cookie: cookie).body
            #expect(!page.contains("choice-keep"))
            let values = try Self.valueIDs(in: page)
            let refused = try await app.request("/conflicts/\(id)", method: "POST", cookie: cookie,
                                                form: "csrf=\(app.csrfToken)&values=\(values)&choice=keep&reason=Fordi")
            #expect(refused.status == 422 && refused.body.contains(#"<p id="choice-error""#))
        }
    }

    @Test func theEnglishPageHasItsOwnWords() async throws {
        try await AppHarness.with(language: .english, prepare: Self.caseWithConflict) { app in
            let cookie = try await app.signIn()
            let (_, _, id) = try await Self.ids(app)
            let page = try await app.request("/conflicts/\(id)", cookie: cookie).body
            #expect(page.contains("The values side by side") && page.contains("A supervisor settles the conflict."))
        }
    }
}

@testable import FieldApp
import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

@Suite struct AppPagesTests {
    @Test func theFirstPageAsksForThePassphraseWhenTheDataIsLocked() async throws {
        let clock = TestClock()
        try await AppHarness.with(locked: true, clock: clock, prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A", step: ("Opfølgende hjemmebesøg", "2099-01-10"))
        }) { app in
            let cookie = try await app.signIn()
            let first = try await app.request("/", cookie: cookie)
            #expect(first.status == 303 && first.header("location") == app.base + "/unlock")
            let form = try await app.request("/unlock", cookie: cookie)
            #expect(form.status == 200)
            #expect(form.body.contains("Lås dine data op") && form.body.contains(#"type="password""#))
            #expect(form.body.contains(#"method="post""#))
            #expect(!form.body.contains("Familien Holm"))
            let csrf = try #require(AppHarness.csrf(in: form.body))

            let wrong = try await app.request("/unlock", method: "POST", cookie: cookie, form: "csrf=\(csrf)&passphrase=forkert+frase")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("Forkert adgangsfrase"))
            #expect(try await app.request("/", cookie: cookie).header("location") == app.base + "/unlock")
            let empty = try await app.request("/unlock", method: "POST", cookie: cookie, form: "csrf=\(csrf)&passphrase=")
            #expect(empty.status == 400 && empty.body.contains("Skriv din adgangsfrase"))

            // A wrong passphrase holds back the next try for a second.
            clock.advance(by: .seconds(1))
            let passphrase = AppHarness.passphrase.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz"))!
            let right = try await app.request("/unlock", method: "POST", cookie: cookie, form: "csrf=\(csrf)&passphrase=\(passphrase)")
            #expect(right.status == 303 && right.header("location") == app.base + "/")
            let agenda = try await app.request("/", cookie: cookie)
            #expect(agenda.status == 200 && agenda.body.contains("Familien Holm"))
            // Unlocked, the form is not shown again.
            #expect(try await app.request("/unlock", cookie: cookie).header("location") == app.base + "/")
        }
    }

    @Test func pagesAreDanishByDefaultAndEnglishWhenTheBrowserAsks() async throws {
        try await AppHarness.with { app in
            let cookie = try await app.signIn()
            let danish = try await app.request("/", cookie: cookie)
            #expect(danish.body.contains(#"<html lang="da">"#) && danish.body.contains("<h1>Forside</h1>"))
            #expect(danish.body.contains("Gå til indholdet") && danish.body.contains("Aldrig synkroniseret"))
            let english = try await app.request("/", cookie: cookie, headers: ["Accept-Language": "en-GB,en;q=0.9,da;q=0.5"])
            #expect(english.body.contains(#"<html lang="en">"#) && english.body.contains("<h1>Home</h1>"))
            #expect(english.body.contains("Never synced"))
            let refused = try await app.request("/", headers: ["Accept-Language": "en"])
            #expect(refused.status == 403 && refused.body.contains("Open the app from your terminal"))
        }
    }

    @Test func theLanguageSettingWinsOverTheBrowser() async throws {
        try await AppHarness.with(language: .english) { app in
            let cookie = try await app.signIn()
            let page = try await app.request("/cases", cookie: cookie, headers: ["Accept-Language": "da"])
            #expect(page.body.contains(#"<html lang="en">"#) && page.body.contains("<h1>Cases</h1>"))
        }
    }

    @Test func theAgendaShowsEveryOpenNextStepOverdueFirst() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Berg", citizen: "0202-B", step: ("Netværksmøde på skolen", "2099-05-01"))
            try await session.makeCase("Familien Holm", citizen: "0101-A", step: ("Opfølgende hjemmebesøg", "2020-01-15"))
            try await session.makeCase("Familien Dahl", citizen: "0303-C", step: ("Ring til sundhedsplejersken", nil))
            try await session.makeCase("Familien Eng", citizen: "0404-D")
        }) { app in
            let cookie = try await app.signIn()
            let page = try await app.request("/", cookie: cookie).body
            let order = ["Opfølgende hjemmebesøg", "Netværksmøde på skolen", "Ring til sundhedsplejersken"]
                .map { page.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil }, "\(page)")
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
            #expect(page.contains("15. januar 2020") && page.contains("1. maj 2099") && page.contains("Ingen frist"))
            #expect(page.components(separatedBy: "Overskredet").count - 1 == 1)
            #expect(page.contains("0101-A") && page.contains("0202-B"))
            // A case without a next step is not on the agenda.
            #expect(!page.contains("Familien Eng"))
        }
    }

    @Test func casesAreFoundByTitleAndCitizenReference() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.makeCase("Familien Berg", citizen: "0202-B")
        }) { app in
            let cookie = try await app.signIn()
            func search(_ encoded: String) async throws -> String {
                try await app.search(encoded, cookie: cookie).body
            }
            let all = try await app.request("/cases", cookie: cookie).body
            #expect(all.contains("Familien Holm") && all.contains("Familien Berg") && all.contains("2 sager på denne computer"))
            let byTitle = try await search("holm")
            #expect(byTitle.contains("Familien Holm") && !byTitle.contains("Familien Berg"))
            #expect(byTitle.contains("1 sag matcher »holm«") && byTitle.contains(#"value="holm""#))
            let byReference = try await search("0202")
            #expect(byReference.contains("Familien Berg") && !byReference.contains("Familien Holm"))
            let none = try await search("%3Cscript%3E")
            #expect(none.contains("0 sager matcher »&lt;script&gt;«") && !none.contains("<script>"))
            // A quote with a combining accent is one Swift character, but
            // the browser still ends the attribute at the quote.
            let quoted = try await search("%22%CC%81%20autofocus")
            #expect(quoted.contains("value=\"&quot;\u{301} autofocus\"") && !quoted.contains("\"\u{301}"))
            #expect(try await search("+++").contains("2 sager på denne computer"))
        }
    }

    /// The words searched (a family's name, a citizen reference) must not
    /// land in the browser's history: the search is a posted form.
    @Test func theSearchIsAPostedFormAndNeverReadFromTheAddress() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.makeCase("Familien Berg", citizen: "0202-B")
        }) { app in
            let cookie = try await app.signIn()
            let page = try await app.request("/cases", cookie: cookie).body
            let form = try #require(page.range(of: #"<form class="search""#).map { page[$0.lowerBound...].prefix { $0 != ">" } })
            #expect(form.contains(#"method="post""#) && form.contains(#"action="\#(app.base)/cases""#), "\(form)")
            #expect(AppHarness.csrf(in: page) == app.csrfToken)
            // An address with words in it lists every case, as a bookmark of the list would.
            let addressed = try await app.request("/cases?q=holm", cookie: cookie).body
            #expect(addressed.contains("Familien Holm") && addressed.contains("Familien Berg") && !addressed.contains("holm«"))
            // The search form checks its token before anything is searched or logged.
            let readsBefore = try await app.reads().count
            for body in ["q=holm", "csrf=wrong&q=holm"] {
                let refused = try await app.request("/cases", method: "POST", cookie: cookie, form: body)
                #expect(refused.status == 403 && !refused.body.contains("Familien Holm"), "\(body)")
            }
            #expect(try await app.request("/cases", method: "POST", form: "csrf=\(app.csrfToken)&q=holm").status == 403)
            #expect(try await app.reads().count == readsBefore)
        }
    }

    /// Reload and Back after a search show its results again without the
    /// browser's "send the form again?": the post answers with a redirect to
    /// an opaque id, and the words stay in the app's memory, never in an address.
    @Test func aSearchIsRedirectedToAnOpaqueAddressThatReloads() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.makeCase("Familien Berg", citizen: "0202-B")
        }) { app in
            let cookie = try await app.signIn()
            let posted = try await app.request("/cases", method: "POST", cookie: cookie, form: "csrf=\(app.csrfToken)&q=Holm")
            #expect(posted.status == 303)
            let location = try #require(posted.header("location"))
            #expect(location.hasPrefix(app.base + "/cases?q=") && !location.lowercased().contains("holm"), "\(location)")
            #expect(!posted.body.lowercased().contains("holm"))
            // Reload, as often as wanted: the same results.
            for _ in 0..<2 {
                let page = try await app.request(fullPath: location, cookie: cookie)
                #expect(page.status == 200)
                #expect(page.body.contains("Familien Holm") && !page.body.contains("Familien Berg") && page.body.contains(#"value="Holm""#))
            }
            // Each search gets its own address; the earlier one still works (Back).
            let second = try #require(try await app.request("/cases", method: "POST", cookie: cookie, form: "csrf=\(app.csrfToken)&q=0202")
                .header("location"))
            #expect(second != location)
            #expect(try await app.request(fullPath: second, cookie: cookie).body.contains("Familien Berg"))
            #expect(try await app.request(fullPath: location, cookie: cookie).body.contains("Familien Holm"))
            // A blank search is the whole list.
            let blank = try await app.request("/cases", method: "POST", cookie: cookie, form: "csrf=\(app.csrfToken)&q=+++")
            #expect(blank.status == 303 && blank.header("location") == app.base + "/cases")
            // An id this run never gave shows every case and says why.
            let unknown = try await app.request("/cases?q=nothing-like-this", cookie: cookie).body
            #expect(unknown.contains("Familien Holm") && unknown.contains("Familien Berg") && unknown.contains("ikke længere husket"))
            // The address is worth nothing to another browser.
            #expect(try await app.request(fullPath: location).status == 403)
        }
    }

    /// Locking forgets the words searched: whoever unlocks next cannot get
    /// them back with Back.
    @Test func lockingForgetsTheSearches() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            let location = try #require(try await app.search("Holm", cookie: cookie, following: false).header("location"))
            let lock = try await app.request("/lock", method: "POST", cookie: cookie, form: "csrf=\(app.csrfToken)")
            #expect(lock.status == 303)
            let unlock = try await app.request("/unlock", method: "POST", cookie: cookie,
                                               form: "csrf=\(app.csrfToken)&passphrase=\(AppHarness.passphrase.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz"))!)")
            #expect(unlock.status == 303)
            let page = try await app.request(fullPath: location, cookie: cookie).body
            #expect(page.contains("ikke længere husket") && !page.contains(#"value="Holm""#))
        }
    }

    @Test func theCasePageShowsParticipantsNotesAndTheMissingNextStep() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A",
                                                participants: [("Lene Holm", .parent), ("Emil Holm", .child)])
            _ = try await session.replica.createEntity(EntityType.note, inCase: id, fields: [
                (Note.Field.kind, .string(Note.Kind.homeVisit.rawValue)), (Note.Field.title, .string("Første besøg")),
                (Note.Field.date, .string("2026-12-01")), (Note.Field.body, .string("Mor og Emil hjemme.")),
            ])
            try await session.makeCase("Familien Berg", citizen: "0202-B", step: ("Netværksmøde på skolen", "2099-05-01"))
        }) { app in
            let cookie = try await app.signIn()
            let cases = try await app.session.replica.cases()
            let holm = try #require(cases.first { Case($0)?.title == "Familien Holm" }?.id)
            let berg = try #require(cases.first { Case($0)?.title == "Familien Berg" }?.id)
            let page = try await app.request("/cases/\(holm)", cookie: cookie).body
            #expect(page.contains("<h1>Familien Holm</h1>") && page.contains("0101-A"))
            // The window title lands in the browser's history on disk: no family's name there.
            #expect(page.contains("<title>Sag · ") && !page.contains("<title>Familien Holm"))
            #expect(page.contains("Sagen har intet næste skridt"))
            #expect(page.contains("Lene Holm") && page.contains("Forælder") && page.contains("Emil Holm") && page.contains("Barn"))
            #expect(page.contains("Første besøg") && page.contains("Hjemmebesøg") && page.contains("1. december 2026") && page.contains("Kladde"))
            #expect(page.contains("Sagen har ingen åbne konflikter"))
            let withStep = try await app.request("/cases/\(berg)", cookie: cookie).body
            #expect(withStep.contains("Netværksmøde på skolen") && withStep.contains("senest 1. maj 2099"))
            #expect(!withStep.contains("Sagen har intet næste skridt"))
            let missing = try await app.request("/cases/0123456789abcdef0123456789abcdef", cookie: cookie)
            #expect(missing.status == 404 && missing.body.contains("Sagen findes ikke"))
            #expect(try await app.request("/cases/not-an-id", cookie: cookie).status == 404)
        }
    }

    @Test func everyPageShowingCaseDataGoesIntoTheReadLog() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A", step: ("Opfølgende hjemmebesøg", "2099-01-10"))
            try await session.makeCase("Familien Berg", citizen: "0202-B")
        }) { app in
            let cases = try await app.session.replica.cases()
            let holm = try #require(cases.first { Case($0)?.title == "Familien Holm" }?.id)
            let berg = try #require(cases.first { Case($0)?.title == "Familien Berg" }?.id)
            let cookie = try await app.signIn()
            #expect(try await app.reads().isEmpty)

            _ = try await app.request("/", cookie: cookie)
            // Only the case with a next step was shown on the agenda.
            #expect(try await app.reads().map { "\($0.what) \($0.caseID)" } == ["agenda \(holm)"])

            _ = try await app.search("berg", cookie: cookie)
            #expect(try await app.reads().dropFirst(1).map { "\($0.what) \($0.caseID)" } == ["case-list \(berg)"])

            _ = try await app.request("/cases/\(holm)", cookie: cookie)
            #expect(try await app.reads().dropFirst(2).map { "\($0.what) \($0.caseID)" } == ["case-show \(holm)"])

            // A refused request reads nothing.
            _ = try await app.request("/cases/\(berg)")
            #expect(try await app.reads().count == 3)
        }
    }

    @Test func theHeaderShowsTheSyncState() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            let page = try await app.request("/cases", cookie: cookie).body
            // A new case is several operations and one entry: counted as the caseworker counts.
            #expect(try await app.session.replica.status().waitingOperations > 1)
            #expect(page.contains("1 ændret ting venter på at blive sendt"))
            #expect(page.contains("Logget ind som <strong>anna</strong>"))
            #expect(page.contains(#"<a href="\#(app.base)/cases" aria-current="page">Sager</a>"#))
            #expect(!page.contains("åben konflikt") && !page.contains("åbne konflikter"))
        }
    }

    /// The header counts the open conflicts of every case, notes included,
    /// from the count the replica keeps (no note is opened for it).
    @Test func theHeaderCountsOpenConflicts() async throws {
        try await AppHarness.with(prepare: { session in
            let caseID = try await session.makeCase("Familien Holm", citizen: "0101-A")
            let noteID = try await session.addNote(in: caseID, NoteDraft(kind: .homeVisit, body: "Hjemmebesøg."))
            try await session.makeConflict(onNote: noteID, mine: "Mor og Emil til stede.", theirs: "Far deltog telefonisk.")
        }) { app in
            let cookie = try await app.signIn()
            let page = try await app.request("/", cookie: cookie).body
            #expect(try await app.session.syncState().openConflicts == 1)
            // It links to the list of the conflicts.
            #expect(page.contains(#"<a class="conflicts" href="\#(app.base)/conflicts">1 åben konflikt – en leder afgør den</a>"#))
        }
    }
}

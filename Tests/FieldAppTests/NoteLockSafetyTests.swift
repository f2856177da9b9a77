@testable import FieldApp
@testable import FieldKit
import Foundation
import Hummingbird
import Logging
import PageKit
import SyncCore
import Testing

/// What a caseworker typed survives the app locking under it (Lås in
/// another tab, `field lock`, the idle lock): the form is held in the app's
/// memory and sent on once the passphrase is given.
@Suite struct NoteLockSafetyTests {
    static let passphrase = "passphrase=" + AppHarness.encoded(AppHarness.passphrase)

    /// The `held` id of the passphrase page a locked app sends a form to.
    static func heldID(_ answer: AppHarness.Answer, base: String) throws -> String {
        #expect(answer.status == 303)
        let location = try #require(answer.header("location"))
        #expect(location.hasPrefix(base + "/unlock?held="), "\(location)")
        return String(try #require(location.split(separator: "=", maxSplits: 1).last))
    }

    func lock(_ visit: NotePagesTests.Visit) async throws {
        #expect(try await visit.post("/lock", []).status == 303)
    }

    /// A draft whose body was changed and saved after the app locked: the
    /// draft's id and the held form's.
    func draftSavedWhileLocked(_ visit: NotePagesTests.Visit) async throws -> (id: EntityID, held: String) {
        let id = try await visit.draft()
        try await lock(visit)
        let saved = try await visit.post("/notes/\(id)", NotePagesTests.wholeForm(try await visit.note(id), ["body": "Mor, Emil og mormor hjemme."]))
        return (id, try Self.heldID(saved, base: visit.app.base))
    }

    @Test func aDraftSavedAfterTheAppLockedIsHeldAndThePassphrasePageCarriesIt() async throws {
        try await NotePagesTests.withVisit { visit in
            let (id, held) = try await draftSavedWhileLocked(visit)
            #expect(try await visit.note(id).body == "Mor og Emil hjemme.")

            let page = try await visit.app.request("/unlock?held=\(held)", cookie: visit.cookie)
            #expect(page.status == 200 && page.body.contains(#"name="held" value="\#(held)""#))
            #expect(page.body.contains("Det, du skrev, er ikke tabt"))
            // The text is in the app's memory only, not in the page.
            #expect(!page.body.contains("mormor"))
            // An id the app does not hold is not carried.
            #expect(!(try await visit.app.request("/unlock?held=abc", cookie: visit.cookie).body.contains(#"name="held""#)))

            let wrong = try await visit.post("/unlock", [("passphrase", "forkert"), ("held", held)])
            #expect(wrong.status == 401 && wrong.body.contains(#"name="held" value="\#(held)""#))
            #expect(await visit.app.state.isHolding(held))
        }
    }

    @Test func aHeldFormIsSentOnAfterTheRightPassphraseAndOnlyOnce() async throws {
        try await NotePagesTests.withVisit { visit in
            let (id, held) = try await draftSavedWhileLocked(visit)
            let unlocked = try await visit.app.request("/unlock", method: "POST", cookie: visit.cookie,
                                                       form: "csrf=\(visit.app.csrfToken)&held=\(held)&" + Self.passphrase)
            #expect(unlocked.status == 303 && unlocked.header("location") == "\(visit.app.base)/notes/\(id)?saved=1")
            #expect(try await visit.note(id).body == "Mor, Emil og mormor hjemme.")
            #expect(!(await visit.app.state.isHolding(held)))
        }
    }

    @Test func aNewNotePostedWhileLockedIsCreatedAfterUnlocking() async throws {
        try await NotePagesTests.withVisit { visit in
            try await lock(visit)
            let posted = try await visit.post("/cases/\(visit.caseID)/notes", [
                ("kind", "home-visit"), ("title", "Besøg"), ("date", "2026-12-02"), ("presentShown", "1"), ("childPresent", ""),
                ("body", "Første linjer af besøget."),
            ])
            let held = try Self.heldID(posted, base: visit.app.base)
            #expect(try await visit.app.session.replica.entities(inCase: visit.caseID).compactMap(Note.init).isEmpty)
            let unlocked = try await visit.app.request("/unlock", method: "POST", cookie: visit.cookie,
                                                       form: "csrf=\(visit.app.csrfToken)&held=\(held)&" + Self.passphrase)
            #expect(unlocked.status == 303)
            let notes = try await visit.app.session.replica.entities(inCase: visit.caseID).compactMap(Note.init)
            #expect(notes.map(\.body) == ["Første linjer af besøget."])
            #expect(unlocked.header("location") == "\(visit.app.base)/notes/\(try #require(notes.first?.id))")
        }
    }

    /// Holding is no way around the CSRF token: it is checked when the form
    /// is sent on, and a form without it writes nothing.
    @Test func aHeldFormWithoutTheTokenIsRefusedWhenSentOn() async throws {
        try await NotePagesTests.withVisit { visit in
            let id = try await visit.draft()
            try await lock(visit)
            let held = try Self.heldID(try await visit.post("/notes/\(id)", [("body", "Fremmed tekst")], csrf: "forkert"),
                                       base: visit.app.base)
            let unlocked = try await visit.app.request("/unlock", method: "POST", cookie: visit.cookie,
                                                       form: "csrf=\(visit.app.csrfToken)&held=\(held)&" + Self.passphrase)
            #expect(unlocked.status == 403)
            #expect(try await visit.note(id).body == "Mor og Emil hjemme.")
        }
    }

    @Test func onlyAFewFormsAreHeldAndEachIsHandedOutOnce() async {
        let state = AppState(session: nil, openingSecret: "x", whenOpened: {})
        let form = AppState.HeldForm(head: .init(method: .post, scheme: nil, authority: nil, path: "/"), body: .init())
        var ids: [String] = []
        for _ in 0...AppState.maximumHeldForms { ids.append(await state.hold(form)) }
        #expect(!(await state.isHolding(ids[0])))
        #expect(await state.isHolding(ids[1]))
        #expect(await state.takeHeld(ids[1]) != nil)
        #expect(await state.takeHeld(ids[1]) == nil)
        #expect(await state.takeHeld("") == nil)
    }

    /// Unlocked in another tab meanwhile: the passphrase page, reloaded,
    /// offers to send the held form rather than dropping it for the first page.
    @Test func aHeldFormWhosePageIsReloadedAfterAnotherTabUnlockedCanStillBeSent() async throws {
        try await NotePagesTests.withVisit { visit in
            let (id, held) = try await draftSavedWhileLocked(visit)
            let other = try await visit.app.request("/unlock", method: "POST", cookie: visit.cookie,
                                                    form: "csrf=\(visit.app.csrfToken)&" + Self.passphrase)
            #expect(other.status == 303 && other.header("location") == visit.app.base + "/")
            let page = try await visit.app.request("/unlock?held=\(held)", cookie: visit.cookie)
            #expect(page.status == 200 && page.body.contains(#"name="held" value="\#(held)""#) && page.body.contains("Gem det, jeg skrev"))
            #expect(!page.body.contains(#"type="password""#))
            #expect(try await visit.note(id).body == "Mor og Emil hjemme.", "a GET sends nothing on")
            let sent = try await visit.post("/unlock", [("held", held)])
            #expect(sent.status == 303 && sent.header("location") == "\(visit.app.base)/notes/\(id)?saved=1")
            #expect(try await visit.note(id).body == "Mor, Emil og mormor hjemme.")
            // Sent once: the page of a form no longer held goes to the first page.
            #expect(try await visit.app.request("/unlock?held=\(held)", cookie: visit.cookie).status == 303)
        }
    }

    @Test func thePassphrasePageOfAFormLetGoSaysItWasNotSaved() async throws {
        try await NotePagesTests.withVisit { visit in
            let id = try await visit.draft()
            try await lock(visit)
            var ids: [String] = []
            for number in 0...AppState.maximumHeldForms {
                ids.append(try Self.heldID(try await visit.post("/notes/\(id)", [("body", "Udgave \(number)")]), base: visit.app.base))
            }
            let dropped = try await visit.app.request("/unlock?held=\(ids[0])", cookie: visit.cookie)
            #expect(dropped.body.contains("kunne ikke gemmes") && !dropped.body.contains(#"name="held""#))
            #expect(!(try await visit.app.request("/unlock?held=\(ids[1])", cookie: visit.cookie).body.contains("kunne ikke gemmes")))
        }
    }

    /// The key file gone or unreadable: the page asks for the passphrase then.
    @Test func aKeyFileThatFailsShowsThePassphraseField() async throws {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        try await AppHarness.with(keyFile: keyFile) { app in
            let cookie = try await app.signIn()
            #expect(try await app.post("/lock", cookie: cookie, [:]).status == 303)
            try FileManager.default.removeItem(atPath: keyFile)
            let failed = try await app.post("/unlock", cookie: cookie, [:])
            #expect(failed.status == 500 && failed.body.contains(#"type="password""#) && failed.body.contains("Adgangsfrase"))
            // A passphrase sent is tried as one, not the file again.
            let typed = try await app.post("/unlock", cookie: cookie, ["passphrase": "forkert"])
            #expect(typed.status != 303 && typed.body.contains(#"type="password""#))
        }
    }

    /// A laptop whose data a key file opens could not open again after Lås
    /// without a restart: the page now opens it with the file.
    @Test func dataOpenedWithAKeyFileOpensAgainAfterLås() async throws {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        try await AppHarness.with(keyFile: keyFile, prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            #expect(try await app.post("/lock", cookie: cookie, [:]).status == 303)
            let page = try await app.request("/unlock", cookie: cookie)
            #expect(page.status == 200 && !page.body.contains(#"type="password""#) && page.body.contains("nøglefilen"))
            let unlocked = try await app.post("/unlock", cookie: cookie, [:])
            #expect(unlocked.status == 303 && unlocked.header("location") == app.base + "/")
            #expect(try await app.request("/cases", cookie: cookie).body.contains("Familien Holm"))
        }
    }

    @Test func dataOpenedWithThePassphraseLocksAfterAQuarterOfAnHourUnused() async throws {
        let clock = TestClock()
        try await AppHarness.with(clock: clock) { app in
            let cookie = try await app.signIn()
            #expect(try await app.request("/cases", cookie: cookie).status == 200)
            clock.advance(by: .seconds(15 * 60) - .milliseconds(1))
            #expect(try await app.request("/cases", cookie: cookie).status == 200)
            clock.advance(by: .seconds(15 * 60) - .milliseconds(1))
            #expect(try await app.request("/cases", cookie: cookie).status == 200)
            clock.advance(by: .seconds(15 * 60))
            let locked = try await app.request("/cases", cookie: cookie)
            #expect(locked.status == 303 && locked.header("location") == app.base + "/unlock")
            let unlocked = try await app.post("/unlock", cookie: cookie, ["passphrase": AppHarness.passphrase])
            #expect(unlocked.status == 303)
            #expect(try await app.request("/cases", cookie: cookie).status == 200)
        }
    }

    /// The check made while no request comes locks on time and is no use itself.
    @Test func theIdleCheckBetweenRequestsLocksOnTimeAndIsNoUse() async throws {
        let clock = TestClock()
        let (_, session) = try AppHarness.laptop()
        let state = AppState(session: session, openingSecret: "x", whenOpened: {}, now: { clock.now }, idleLock: .seconds(15 * 60))
        let logger = Logger(label: "field-app-test")
        clock.advance(by: .seconds(14 * 60))
        await state.lockIfIdle(logger: logger)
        #expect(await state.session != nil)
        clock.advance(by: .seconds(60))
        await state.lockIfIdle(logger: logger)
        #expect(await state.session == nil)
    }

    /// Locking by the idle time forgets the searched words and the last
    /// sync's outcome, as Lås does.
    @Test func theIdleLockForgetsSearchesAndTheLastSyncsOutcome() async throws {
        let clock = TestClock()
        let (_, session) = try AppHarness.laptop()
        let state = AppState(session: session, openingSecret: "x", whenOpened: {}, now: { clock.now }, idleLock: .seconds(15 * 60),
                             sync: SyncRunner { _, _, _ in throw FieldError.serverUnreachable("no network") })
        let search = await state.rememberSearch("Holm")
        state.sync.start(session) { _ in }
        await state.sync.waitUntilEnded()
        #expect(state.sync.status.outcome != nil)
        clock.advance(by: .seconds(15 * 60))
        await state.lockIfIdle(logger: Logger(label: "field-app-test"))
        #expect(await state.session == nil)
        #expect(await state.rememberedSearch(search) == nil)
        #expect(state.sync.status.outcome == nil)
    }

    @Test func withoutAnIdleLockTheDataStaysOpen() async throws {
        let clock = TestClock()
        try await AppHarness.with(clock: clock, idleLock: nil) { app in
            let cookie = try await app.signIn()
            clock.advance(by: .seconds(8 * 3600))
            #expect(try await app.request("/cases", cookie: cookie).status == 200)
        }
    }
}

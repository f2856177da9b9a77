@testable import FieldApp
@testable import FieldKit
import Foundation
import Hummingbird
import HummingbirdTesting
import PageKit
import SyncCore
import SyncService
import Synchronization
import Testing

/// Sync from the app: the outcome of every kind of sync in plain words, one
/// sync at a time, and a laptop whose data the server had deleted.
@Suite(.timeLimit(.minutes(10))) struct SyncPagesTests {
    static let password = "correct horse battery"

    /// A sync server over real HTTP with anna and bo (caseworkers) and dorte
    /// (a supervisor), for the length of `body`.
    static func withServer<T: Sendable>(_ body: @escaping @Sendable (ServerDatabase, String) async throws -> T) async throws -> T {
        let database = try ServerDatabase.inMemory()
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor)] {
            try await database.addUser(name, role: role, password: password, bcryptCost: 4)
        }
        let app = Application(router: buildRouter(database: database, frontEnds: []), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body(database, "http://127.0.0.1:\(client.port!)") }
    }

    /// A laptop signed in to `server` as `field login` leaves it.
    static func laptop(_ user: String, server: String) async throws -> FieldSession {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("app-sync-\(user)-\(UUID().uuidString)")
        return try await FieldSession.login(
            paths: FieldPaths.resolve(home: home.path), server: server, user: user, password: password,
            deviceName: "\(user)'s laptop", secret: { .passphrase(AppHarness.passphrase) })
    }

    /// Presses the sync button and waits for the sync to end; returns the
    /// sync page as it then is.
    static func sync(_ app: AppHarness, cookie: String, runner: SyncRunner) async throws -> AppHarness.Answer {
        let pressed = try await app.post("/sync", cookie: cookie, [:])
        #expect(pressed.status == 303)
        #expect(pressed.header("location") == app.base + "/sync")
        await runner.waitUntilEnded()
        return try await app.request("/sync", cookie: cookie)
    }

    @Test func aSyncSaysHowManyChangesWentAndCameAndTheHeaderHasTheButton() async throws {
        try await Self.withServer { _, server in
            let anna = try await Self.laptop("anna", server: server)
            let runner = SyncRunner()
            try await AppHarness.with(laptop: anna, sync: runner) { app in
                let cookie = try await app.signIn()
                let agenda = try await app.request("/", cookie: cookie)
                #expect(agenda.body.contains(#"<form class="sync-now" method="post" action="\#(app.base)/sync">"#))
                #expect(agenda.body.contains("Synkronisér nu"))
                let before = try await app.request("/sync", cookie: cookie)
                #expect(before.status == 200)
                #expect(before.body.contains("Du har ikke synkroniseret, siden appen blev startet."))
                #expect(before.header("cache-control") == "no-store")
                try await anna.makeCase("Familien Holm", citizen: "0101-A")
                let waiting = try await app.waitingOperations()
                #expect(waiting > 0)
                let page = try await Self.sync(app, cookie: cookie, runner: runner)
                #expect(page.status == 200)
                #expect(page.body.contains("Synkroniseringen er færdig"), "\(page.body)")
                // The pull brings this laptop's own changes back too: they are not counted as fetched.
                #expect(page.body.contains("Sendt til serveren: 1 ændret ting (en sag, et notat, en deltager eller et næste skridt)."), "\(page.body)")
                #expect(page.body.contains("Intet nyt fra kolleger."), "\(page.body)")
                #expect(try await app.waitingOperations() == 0)
                #expect(page.body.contains("Sidst synkroniseret"))
                let status = try await app.request("/sync/status", cookie: cookie)
                #expect(status.header("content-type") == "application/json")
                #expect(status.body.contains(#""running":false"#))
            }
        }
    }

    @Test func withoutTheServerTheChangesStayOnTheLaptopAndThePageSaysSo() async throws {
        let anna = try await Self.withServer { _, server in try await Self.laptop("anna", server: server) }
        let runner = SyncRunner()
        try await AppHarness.with(laptop: anna, sync: runner) { app in
            let cookie = try await app.signIn()
            try await anna.makeCase("Familien Holm", citizen: nil)
            let waiting = try await app.waitingOperations()
            let page = try await Self.sync(app, cookie: cookie, runner: runner)
            #expect(page.status == 200)
            #expect(page.body.contains("Ingen forbindelse til serveren"), "\(page.body)")
            #expect(page.body.contains("Dine ændringer er gemt på denne computer"))
            #expect(try await app.waitingOperations() == waiting)
            // The button is there again, to try once the network is back.
            #expect(page.body.contains(#"<form method="post" action="\#(app.base)/sync">"#))
        }
    }

    @Test func aRevokedLaptopsDataIsDeletedAndEveryPageSaysSo() async throws {
        try await Self.withServer { database, server in
            let anna = try await Self.laptop("anna", server: server)
            let runner = SyncRunner()
            try await AppHarness.with(laptop: anna, sync: runner) { app in
                let cookie = try await app.signIn()
                try await anna.makeCase("Familien Holm", citizen: nil)
                _ = try await Self.sync(app, cookie: cookie, runner: runner)
                try await database.revokeDevice(anna.settings.device)
                let page = try await Self.sync(app, cookie: cookie, runner: runner)
                #expect(page.status == 410)
                #expect(page.body.contains("Sagsdata er slettet fra denne computer"), "\(page.body)")
                #expect(!FileManager.default.fileExists(atPath: anna.paths.database.path))
                #expect(!FileManager.default.fileExists(atPath: anna.paths.vaultHeader.path))
                for path in ["/", "/cases", "/unlock", "/sync"] {
                    let answer = try await app.request(path, cookie: cookie)
                    #expect(answer.status == 410, "\(path)")
                    #expect(answer.body.contains("appen kan ikke vise sager mere"), "\(path): \(answer.body)")
                    #expect(!answer.body.contains("Familien Holm"), "\(path)")
                }
                // The sync page's script and status still answer, so that a page
                // open while the data went can show what happened.
                #expect(try await app.request("/app.js", cookie: cookie).status == 200)
                let status = try await app.request("/sync/status", cookie: cookie)
                #expect(status.body == #"{"running":false,"text":"Sagsdata er slettet fra denne computer"}"#)
                let unlock = try await app.post("/unlock", cookie: cookie, ["passphrase": AppHarness.passphrase])
                #expect(unlock.status == 410)
                let again = try await app.post("/sync", cookie: cookie, [:])
                #expect(again.status == 410)
            }
        }
    }

    @Test func theAppLetsGoOfTheDataBeforeItsFilesAreDeleted() async throws {
        try await Self.withServer { database, server in
            let anna = try await Self.laptop("anna", server: server)
            let state = AppState(session: anna, openingSecret: "s", whenOpened: {})
            _ = try await anna.sync()
            try await database.revokeDevice(anna.settings.device)
            let seen = Mutex<(held: Bool, open: Bool)?>(nil)
            await #expect(throws: FieldError.self) {
                try await anna.sync(beforeDeleting: {
                    await state.dataDeleted()
                    let open = (try? await state.openedSession()) != nil
                    seen.withLock { $0 = (FieldSession.holdsData(paths: anna.paths), open) }
                })
            }
            // When the app let go, the files were still there; it served nothing from then on.
            #expect(seen.withLock { $0?.held } == true)
            #expect(seen.withLock { $0?.open } == false)
            let refusal = await #expect(throws: PageError.self) { try await state.openedSession() }
            #expect(refusal?.headingKey == PageError.dataDeleted.headingKey)
            #expect(!FieldSession.holdsData(paths: anna.paths))
        }
    }

    /// `field sync` in a terminal, told the laptop is revoked, deletes the
    /// data under the running app: its next page says so, open or locked.
    @Test(arguments: [false, true])
    func dataDeletedByASyncInATerminalIsNoticed(locked: Bool) async throws {
        try await Self.withServer { database, server in
            let anna = try await Self.laptop("anna", server: server)
            try await AppHarness.with(laptop: anna) { app in
                let cookie = try await app.signIn()
                try await anna.makeCase("Familien Holm", citizen: nil)
                #expect(try await app.request("/cases", cookie: cookie).status == 200)
                if locked { #expect(try await app.post("/lock", cookie: cookie, [:]).status == 303) }
                try await database.revokeDevice(anna.settings.device)
                await #expect(throws: FieldError.self) { _ = try await anna.sync() }
                #expect(!FieldSession.holdsData(paths: anna.paths))
                for path in locked ? ["/unlock", "/cases"] : ["/cases", "/unlock"] {
                    let answer = try await app.request(path, cookie: cookie)
                    #expect(answer.status == 410, "\(path)")
                    #expect(answer.body.contains("Sagsdata er slettet fra denne computer"), "\(path): \(answer.body)")
                }
            }
        }
    }

    @Test func aCaseHandedOverToAColleagueLeavesTheLaptopNamedByItsTitle() async throws {
        try await Self.withServer { _, server in
            let anna = try await Self.laptop("anna", server: server)
            let dorte = try await Self.laptop("dorte", server: server)
            let runner = SyncRunner()
            try await AppHarness.with(laptop: anna, sync: runner) { app in
                let cookie = try await app.signIn()
                let holm = try await anna.makeCase("Familien Holm", citizen: nil)
                try await anna.makeCase("Familien Berg", citizen: nil)
                _ = try await Self.sync(app, cookie: cookie, runner: runner)
                _ = try await dorte.sync()
                try await dorte.assignCase(holm, to: "bo", removingPrevious: true)
                _ = try await dorte.sync()
                // Written before the sync that tells: refused (no longer a member), and gone with the case.
                _ = try await anna.addNote(in: holm, NoteDraft(kind: .homeVisit, title: "Besøg", body: "Mor var hjemme."))
                let page = try await Self.sync(app, cookie: cookie, runner: runner)
                #expect(page.status == 200)
                #expect(page.body.contains("Disse sager er ikke længere dine"), "\(page.body)")
                #expect(page.body.contains(#"<ul class="handed-over"><li>Familien Holm – 1 ændret ting, du havde lavet, nåede ikke serveren"#),
                        "\(page.body)")
                #expect(try await anna.replica.entity(holm) == nil)
                let cases = try await app.request("/cases", cookie: cookie)
                #expect(!cases.body.contains("Familien Holm"))
                #expect(cases.body.contains("Familien Berg"))
            }
        }
    }

    @Test func theSyncButtonNeedsTheFormsToken() async throws {
        let runner = SyncRunner { _, _, _ in Issue.record("a sync started"); return SyncEngine.Report() }
        try await AppHarness.with(sync: runner) { app in
            let cookie = try await app.signIn()
            let refused = try await app.post("/sync", cookie: cookie, csrf: "not-the-token", [:])
            #expect(refused.status == 403)
            let missing = try await app.post("/sync", cookie: cookie, csrf: "", [:])
            #expect(missing.status == 403)
            #expect(!runner.status.running && runner.status.outcome == nil)
        }
    }

    @Test func aSecondPressJoinsTheSyncUnderWayAndThePageShowsItsProgress() async throws {
        let started = Counter()
        let (gate, opening) = AsyncStream<Void>.makeStream()
        let runner = SyncRunner { _, progress, _ in
            started.add()
            progress("push", 3, 10)
            for await _ in gate { break }
            var report = SyncEngine.Report()
            report.pushed = 10
            report.pushedEntries = 2
            return report
        }
        try await AppHarness.with(sync: runner) { app in
            let cookie = try await app.signIn()
            for _ in 0..<2 {
                let pressed = try await app.post("/sync", cookie: cookie, [:])
                #expect(pressed.status == 303)
            }
            // The progress is set before the sync waits at the gate.
            while runner.status.progress == nil { await Task.yield() }
            #expect(started.value == 1)
            let page = try await app.request("/sync", cookie: cookie)
            #expect(page.body.contains("Synkroniseringen er i gang."))
            #expect(page.body.contains(#"<p id="sync-progress">Sender dine ændringer: 3 af 10</p>"#), "\(page.body)")
            #expect(page.body.contains(#"aria-live="polite""#))
            #expect(page.body.contains(">Opdatér</a>"))
            #expect(page.body.contains(#"<script src="\#(app.base)/app.js" defer></script>"#))
            #expect(page.header("content-security-policy")?.contains("script-src 'self'") == true)
            let status = try await app.request("/sync/status", cookie: cookie)
            #expect(status.body == #"{"running":true,"text":"Sender dine ændringer: 3 af 10"}"#)
            // Without the session cookie, nothing.
            #expect(try await app.request("/sync/status").status == 403)
            opening.yield()
            opening.finish()
            await runner.waitUntilEnded()
            #expect(started.value == 1)
            let done = try await app.request("/sync", cookie: cookie)
            #expect(done.body.contains("Sendt til serveren: 2 ændrede ting (sager, notater, deltagere, næste skridt)."))
            // Once it has ended, a press starts a new one.
            _ = try await app.post("/sync", cookie: cookie, [:])
            await runner.waitUntilEnded()
            #expect(started.value == 2)
        }
    }

    static let failures: [(FieldError, String)] = [
        (.serverUnreachable("connection refused"), "syncNoConnection"),
        (.serverStorageFull, "syncServerFull"),
        (.serverRefused(status: 503, code: "server-busy", detail: "busy"), "syncServerBusy"),
        (.clockAhead(serverTime: 1, operations: [], detail: "ahead"), "syncClockWrong"),
        (.wrongClock(milliseconds: 0), "syncClockWrong"),
        (.purged("revoked"), "dataDeleted"),
        (.signInUnknown("unknown"), "syncSignIn"),
        (.untrustedServer("https://x"), "syncUntrusted"),
        (.serverRefused(status: 400, code: "bad-batch", detail: "the batch is bad"), "syncRefused"),
    ]

    /// Each way a sync can fail has a heading and a message of its own, in
    /// both languages, that says what became of the changes, without
    /// the protocol's codes.
    @Test(arguments: failures)
    func everyFailureHasPlainWords(error: FieldError, key: String) {
        for language in Language.allCases {
            let view = SyncPages.outcomeView(.failed(error), finishedAt: nil, language: language)
            let texts = AppRoutes.catalogues.texts(for: language)
            #expect(view.heading == texts[key + "Heading"])
            #expect(view.lines == [texts[key + "Message"]].compactMap { $0 })
            #expect(!view.succeeded)
            #expect(view.detail == (key == "syncRefused" ? error.description : nil))
            for text in [view.heading] + view.lines {
                #expect(!text.contains("503") && !text.contains("409") && !text.lowercased().contains("operation"), "\(text)")
            }
        }
    }
}

final class Counter: Sendable {
    private let count = Mutex<Int>(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

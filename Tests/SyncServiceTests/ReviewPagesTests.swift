import Foundation
import GRDB
import HummingbirdTesting
import PageKit
@testable import ReviewPages
import SyncCore
import SyncPersistence
import SyncTestSupport
@testable import SyncService
import Testing

@Suite struct ReviewPagesTests {
    // MARK: Sign-in, sessions, CSRF

    @Test func aSupervisorSignsInWithASessionCookieAndAWrongPasswordIsRefusedAndLogged() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            let unsigned = try await browser.get("/review/conflicts", via: client)
            #expect(unsigned.status == .seeOther && unsigned.location == "/review/sign-in")

            let wrong = try await browser.signIn("dorte", password: "not the password", via: client)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.html.contains("The user name or password is wrong"))
            #expect(browser.cookies[ReviewAuthenticator.cookieName] == nil)

            let signedIn = try await browser.signIn("dorte", via: client)
            #expect(signedIn.status == .seeOther && signedIn.location == "/review/conflicts")
            let cookie = try #require(signedIn.setCookies.first { $0.hasPrefix("review_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Path=/review"))
            #expect(cookie.contains("Max-Age=\(ServerDatabase.reviewSessionLifetimeSeconds)"))
            let value = try #require(browser.cookies[ReviewAuthenticator.cookieName])
            #expect(value.count >= 43, "256 random bits")

            let queue = try await browser.get("/review/conflicts", via: client)
            #expect(queue.status == .ok)
            #expect(queue.html.contains("<h1>Conflict queue</h1>") && queue.html.contains("Signed in as <strong>dorte</strong>"))
            #expect(queue.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)

            let stored = try await harness.database.writer.read { db in
                try Data.fetchAll(db, sql: "SELECT idHash FROM reviewSession")
            }
            #expect(stored == [RandomSecret.hash(value)], "only the hash of the session id is stored")

            let events = try await harness.database.auditEvents(.init(actor: "dorte"))
            #expect(events.contains { $0.action == "login-failed" })
            #expect(events.contains { $0.action == "login" && $0.detail.member("via") == "review" })
            #expect(events.contains { $0.action == "conflicts-viewed" })
        }
    }

    @Test func aCaseworkerGetsANotAllowedPageAndNoSession() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            let refused = try await browser.signIn("anna", via: client)
            #expect(refused.status == .forbidden)
            #expect(refused.html.contains("Not allowed"))
            #expect(browser.cookies[ReviewAuthenticator.cookieName] == nil)
            #expect(try await browser.get("/review/cases", via: client).status == .seeOther)
        }
    }

    @Test func formsWithoutTheSessionsCSRFTokenAreRefused() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            // The sign-in form without its token (a cross-site login attempt).
            let forgedSignIn = try await browser.post(
                "/review/sign-in", form: [("user", "dorte"), ("password", ServerHarness.password)], via: client)
            #expect(forgedSignIn.status == .forbidden)
            #expect(browser.cookies[ReviewAuthenticator.cookieName] == nil)

            try await browser.signIn("dorte", via: client)
            let queue = try await browser.get("/review/conflicts", via: client)
            let token = try #require(queue.csrf)
            let missing = try await browser.post("/review/sign-out", form: [], via: client)
            #expect(missing.status == .forbidden)
            let wrong = try await browser.post("/review/sign-out", form: [("csrf", String(token.reversed()))], via: client)
            #expect(wrong.status == .forbidden)
            let resolve = try await browser.post(
                "/review/conflict/resolve", form: [("id", "x"), ("choice", "value-1"), ("reason", "r")], via: client)
            #expect(resolve.status == .forbidden)
            #expect(try await browser.get("/review/conflicts", via: client).status == .ok, "the refusals did not end the session")

            let signedOut = try await browser.post("/review/sign-out", form: [("csrf", token)], via: client)
            #expect(signedOut.status == .seeOther)
            #expect(signedOut.setCookies.contains { $0.hasPrefix("review_session=;") && $0.contains("Max-Age=0") })
            let events = try await harness.database.auditEvents(.init(actor: "dorte"))
            #expect(events.contains { $0.action == "logout" })
        }
    }

    @Test func aSignedOutOrRemovedUsersSessionStopsWorking() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let cookie = try #require(browser.cookies[ReviewAuthenticator.cookieName])
            #expect(try await browser.get("/review/cases", via: client).status == .ok)

            let token = try #require(try await browser.get("/review/cases", via: client).csrf)
            _ = try await browser.post("/review/sign-out", form: [("csrf", token)], via: client)
            var replay = ReviewBrowser()
            replay.cookies[ReviewAuthenticator.cookieName] = cookie
            #expect(try await replay.get("/review/cases", via: client).status == .seeOther, "a signed-out cookie is dead")

            // An administrator revokes the session's device (`sync-server device revoke`).
            var revoked = ReviewBrowser()
            try await revoked.signIn("dorte", via: client)
            #expect(try await revoked.get("/review/cases", via: client).status == .ok)
            let revokedCookie = try #require(revoked.cookies[ReviewAuthenticator.cookieName])
            let session = try #require(try await harness.database.reviewSession(cookie: revokedCookie))
            let reviewDevice = try #require(try await harness.database.devices().first { $0.replica == session.replica.description })
            #expect(reviewDevice.name == "review (browser)" && reviewDevice.user == "dorte")
            try await harness.database.revokeDevice(reviewDevice.replica)
            #expect(try await revoked.get("/review/cases", via: client).status == .seeOther, "a revoked device's session is dead")

            var root = ReviewBrowser()
            try await root.signIn("root", via: client)
            #expect(try await root.get("/review/cases", via: client).status == .ok)
            try await harness.database.removeUser("root")
            let after = try await root.get("/review/cases", via: client)
            #expect(after.status == .seeOther && after.location == "/review/sign-in")
        }
    }

    // MARK: Conflicts

    /// Anna's two laptops write a note body concurrently; returns the laptops,
    /// the case and the note.
    static func concurrentBodies(
        _ client: any TestClientProtocol, first: String, second: String
    ) async throws -> (Laptop, Laptop, EntityID, EntityID) {
        var laptop = try await client.login("anna")
        var other = try await client.login("anna")
        let caseOps = try laptop.newCase(title: "Familien Holm")
        let caseID = caseOps[0].entity
        let note = try laptop.newNote(in: caseID, body: "Første udkast")
        _ = try await laptop.push(caseOps + note, via: client)
        _ = try await other.pull(via: client)
        let noteID = note[0].entity
        let a = try laptop.write { author, state, _ in try author.set(Note.Field.body, to: .string(first), on: state.entity(noteID)!) }
        let b = try other.write { author, state, _ in try author.set(Note.Field.body, to: .string(second), on: state.entity(noteID)!) }
        #expect(try await laptop.push([a], via: client).status == .ok)
        #expect(try await other.push([b], via: client).status == .ok)
        return (laptop, other, caseID, noteID)
    }

    @Test func theQueueListsAConflictOfTwoDevicesAndTheFormResolvesItForEveryLaptop() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var (laptop, _, caseID, noteID) = try await Self.concurrentBodies(
                client, first: "Mor og Emil til stede. Emil fortalte om skolen.", second: "Mor og Emil til stede. Far ringede <og> meldte afbud.")
            let conflictID = "\(noteID)/body/concurrent-values"

            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let queue = try await browser.get("/review/conflicts", via: client)
            #expect(queue.html.contains(ReviewConflictPages.conflictLink(conflictID)))
            #expect(queue.html.contains("Familien Holm"))
            let filtered = try await browser.get("/review/conflicts?field=title", via: client)
            #expect(!filtered.html.contains(ReviewConflictPages.conflictLink(conflictID)), "the field filter applies")
            let byCase = try await browser.get("/review/conflicts?case=\(caseID)&caseworker=anna&order=oldest", via: client)
            #expect(byCase.html.contains(ReviewConflictPages.conflictLink(conflictID)))

            let caseBefore = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(caseBefore.html.contains("<strong>In conflict</strong>"), "the timeline marks the conflicting values")

            let page = try await browser.get(ReviewConflictPages.conflictLink(conflictID), via: client)
            #expect(page.status == .ok)
            #expect(page.html.contains("Far ringede &lt;og&gt; meldte afbud."), "values are HTML-escaped")
            #expect(!page.html.contains("<og>"))
            #expect(page.html.contains("<mark><span class=\"sr-only\">[differs: </span>Emil fortalte om skolen.<span class=\"sr-only\">]</span></mark>"))
            #expect(page.html.contains("test laptop"), "the device each value was written on")
            let token = try #require(page.csrf)
            let values = try #require(page.html.range(of: #"name="values" value=""#).map { String(page.html[$0.upperBound...].prefix { $0 != "\"" }) })

            let noReason = try await browser.post(
                "/review/conflict/resolve", form: [("csrf", token), ("id", conflictID), ("values", values), ("choice", "value-1"), ("reason", "  ")],
                via: client)
            #expect(noReason.status == .badRequest && noReason.html.contains("Give a reason"))
            let forgedChoice = try await browser.post(
                "/review/conflict/resolve", form: [("csrf", token), ("id", conflictID), ("values", values), ("choice", "value-9"), ("reason", "x")],
                via: client)
            #expect(forgedChoice.status == .badRequest)
            let stale = try await browser.post(
                "/review/conflict/resolve", form: [("csrf", token), ("id", conflictID), ("values", "x"), ("choice", "value-1"), ("reason", "x")],
                via: client)
            #expect(stale.status == .conflict)
            let unknown = try await browser.post(
                "/review/conflict/resolve", form: [("csrf", token), ("id", "nope/body/concurrent-values"), ("values", values), ("choice", "value-1"), ("reason", "x")],
                via: client)
            #expect(unknown.status == .notFound)
            #expect(try await browser.get("/review/conflict?id=nope", via: client).status == .notFound)
            #expect(try await harness.database.openConflictCount() == 1, "no refused form changed anything")

            let merged = "Mor og Emil til stede.\nFar meldte afbud."
            // A browser sends a textarea's line breaks as CR LF.
            let resolved = try await browser.post(
                "/review/conflict/resolve",
                form: [("csrf", token), ("id", conflictID), ("values", values), ("choice", "merged"),
                       ("merged", merged.replacingOccurrences(of: "\n", with: "\r\n")),
                       ("reason", "Samlet efter samtale med rådgiveren")],
                via: client)
            #expect(resolved.status == .seeOther)
            let location = try #require(resolved.location)
            #expect(try await harness.database.openConflictCount() == 0)

            // The caseworker's laptop pulls the resolution as an ordinary operation.
            _ = try await laptop.pull(via: client)
            let note = try #require(laptop.state.entity(noteID))
            #expect(note.value(of: Note.Field.body) == .string(merged))
            #expect(note.conflicts().filter(\.isOpen).isEmpty)
            let resolution = try #require(note.conflicts().first { !$0.isOpen }?.resolution)
            #expect(resolution.author.name == "dorte" && resolution.reason == "Samlet efter samtale med rådgiveren")
            let device = try #require(try await harness.database.devices().first { $0.replica == resolution.device.description })
            #expect(device.name == "review (browser)" && device.user == "dorte")

            let after = try await browser.get(location, via: client)
            #expect(after.status == .ok)
            #expect(after.html.contains("Resolved conflict on body") && after.html.contains("Samlet efter samtale med rådgiveren"))
            let caseAfter = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(caseAfter.html.contains("Conflict on body resolved (2 values)") && !caseAfter.html.contains("<strong>In conflict</strong>"))
            let events = try await harness.database.auditEvents(.init(caseID: caseID.description))
            #expect(events.contains { $0.action == "conflict-resolved" && $0.actor == "dorte" })
            #expect(events.contains { $0.action == "conflicts-viewed" && $0.detail.member("conflict") == .string(conflictID) })
        }
    }

    /// Issue 15: a note finalized while its body was in conflict keeps its
    /// record; the supervisor's decision is shown with the note on the case
    /// page, not only in the conflict log.
    @Test func aDecisionAfterFinalizationIsShownWithTheNote() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var (laptop, _, caseID, noteID) = try await Self.concurrentBodies(client, first: "Emil var glad.", second: "Emil var stille.")
            _ = try await laptop.pull(via: client)
            let finalize = try laptop.write { author, state, _ in try author.finalize(state.entity(noteID)!) }
            #expect(try await laptop.push([finalize], via: client).status == .ok)

            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let conflictID = "\(noteID)/body/concurrent-values"
            let page = try await browser.get(ReviewConflictPages.conflictLink(conflictID), via: client)
            let token = try #require(page.csrf)
            let values = try #require(page.html.range(of: #"name="values" value=""#).map { String(page.html[$0.upperBound...].prefix { $0 != "\"" }) })
            let resolved = try await browser.post(
                "/review/conflict/resolve",
                form: [("csrf", token), ("id", conflictID), ("values", values), ("choice", "merged"),
                       ("merged", "Emil var stille, men glad til sidst."), ("reason", "Efter samtale med begge")],
                via: client)
            #expect(resolved.status == .seeOther, "\(resolved.html)")
            let casePage = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(casePage.html.contains("body decided"))
            #expect(casePage.html.contains("by dorte: Emil var stille, men glad til sidst. (Efter samtale med begge)"))
        }
    }

    /// Two laptops each set the next step of a case that had none: the queue
    /// lists the conflict over the case's current next step, the case page
    /// shows both steps as competing, the conflict page says what each step
    /// is, and keeping one leaves one current next step, the other no longer
    /// counted as overdue.
    @Test func competingNextStepsAreAConflictInTheQueueAndOnTheCasePage() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var other = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            _ = try await other.pull(via: client)
            func setNextStep(_ laptop: inout Laptop, _ text: String, due: String) throws -> [SyncCore.Operation] {
                let operations = try laptop.author.createNextStep(
                    [(NextStep.Field.text, .string(text)), (NextStep.Field.due, .string(due)), (NextStep.Field.responsible, "anna"),
                     (NextStep.Field.status, "open")],
                    in: laptop.state.entity(caseID)!, using: &laptop.random)
                try laptop.state.apply(operations)
                return operations
            }
            #expect(try await anna.push(try setNextStep(&anna, "Netværksmøde på skolen", due: "2020-02-03"), via: client).status == .ok)
            #expect(try await other.push(try setNextStep(&other, "Hjemmebesøg", due: "2020-02-05"), via: client).status == .ok)
            let conflictID = "\(caseID)/nextStep/concurrent-values"
            #expect(try await harness.database.openConflictCount() == 1)
            let api = try await client.call(.get, "/v1/conflicts?case=\(caseID)", token: try await client.login("dorte").token)
            #expect(api.body.member("conflicts")?.arrayValue.compactMap { $0.member("id")?.stringValue } == [conflictID])

            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let queue = try await browser.get("/review/conflicts", via: client)
            #expect(queue.html.contains(ReviewConflictPages.conflictLink(conflictID)))
            #expect(queue.html.contains("nextStep"))
            let casePage = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(casePage.html.contains("<strong>Competing next steps:</strong>"))
            #expect(casePage.html.contains("Netværksmøde på skolen") && casePage.html.contains("Hjemmebesøg"))
            #expect(casePage.html.contains("2 open step(s) are overdue"))

            let page = try await browser.get(ReviewConflictPages.conflictLink(conflictID), via: client)
            #expect(page.status == .ok)
            #expect(page.html.contains("Next step “Hjemmebesøg” — anna, due 2020-02-05 (open)"), "\(page.html)")
            #expect(!page.html.contains("choice-merged"), "one step is kept, none is merged")
            let values = try #require(page.html.range(of: #"name="values" value=""#).map { String(page.html[$0.upperBound...].prefix { $0 != "\"" }) })
            let record = try #require(try await harness.database.mergedEntities([caseID])[caseID]?.state.conflicts().first)
            let homeVisit = try #require(record.values.firstIndex { $0.operation.replica == other.author.replica })
            let merged = try await browser.post(
                "/review/conflict/resolve",
                form: [("csrf", try #require(page.csrf)), ("id", conflictID), ("values", values), ("choice", "merged"),
                       ("merged", record.values[0].value.stringValue ?? ""), ("reason", "samlet")],
                via: client)
            #expect(merged.status == .badRequest && merged.html.contains("pick the step that holds"))
            let resolved = try await browser.post(
                "/review/conflict/resolve",
                form: [("csrf", try #require(page.csrf)), ("id", conflictID), ("values", values), ("choice", "value-\(homeVisit + 1)"),
                       ("reason", "Hjemmebesøget først")],
                via: client)
            #expect(resolved.status == .seeOther)
            #expect(try await harness.database.openConflictCount() == 0)

            let caseAfter = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(!caseAfter.html.contains("Competing next steps"))
            #expect(caseAfter.html.contains("<strong>Overdue:</strong> Hjemmebesøg"))
            #expect(caseAfter.html.contains("1 open step(s) are overdue"), "the step not kept is no longer in force")
            _ = try await anna.pull(via: client)
            let plan = NextStepPlan(caseState: anna.state.entity(caseID)!, entities: anna.state.entities(inCase: caseID))
            #expect(plan.current?.text == "Hjemmebesøg" && plan.live.count == 1 && !plan.isInConflict)
        }
    }

    @Test func pickingAValueKeepsItExactly() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var (_, other, _, noteID) = try await Self.concurrentBodies(client, first: "Version A", second: "Version B")
            let conflictID = "\(noteID)/body/concurrent-values"
            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let page = try await browser.get(ReviewConflictPages.conflictLink(conflictID), via: client)
            let values = try #require(page.html.range(of: #"name="values" value=""#).map { String(page.html[$0.upperBound...].prefix { $0 != "\"" }) })
            let record = try #require(try await harness.database.mergedEntities([noteID])[noteID]?.state.conflicts().first)
            let second = record.values[1].value
            let reply = try await browser.post(
                "/review/conflict/resolve",
                form: [("csrf", try #require(page.csrf)), ("id", conflictID), ("values", values), ("choice", "value-2"), ("reason", "B er rigtig")],
                via: client)
            #expect(reply.status == .seeOther)
            _ = try await other.pull(via: client)
            #expect(other.state.entity(noteID)?.value(of: Note.Field.body) == second)
        }
    }

    @Test func twoFormsSentAtOnceInOneSessionGetContiguousSequenceNumbers() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var laptop = try await client.login("anna")
            var other = try await client.login("anna")
            let caseOps = try laptop.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            let first = try laptop.newNote(in: caseID, body: "1")
            let second = try laptop.newNote(in: caseID, body: "2")
            _ = try await laptop.push(caseOps + first + second, via: client)
            _ = try await other.pull(via: client)
            var concurrent: [SyncCore.Operation] = []
            for note in [first[0].entity, second[0].entity] {
                concurrent.append(try laptop.write { a, s, _ in try a.set(Note.Field.body, to: "laptop", on: s.entity(note)!) })
                _ = try await other.push([try other.write { a, s, _ in try a.set(Note.Field.body, to: "other", on: s.entity(note)!) }], via: client)
            }
            _ = try await laptop.push(concurrent, via: client)
            #expect(try await harness.database.openConflictCount() == 2)

            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            var forms: [[(String, String)]] = []
            for note in [first[0].entity, second[0].entity] {
                let id = "\(note)/body/concurrent-values"
                let page = try await browser.get(ReviewConflictPages.conflictLink(id), via: client)
                let values = try #require(page.html.range(of: #"name="values" value=""#).map { String(page.html[$0.upperBound...].prefix { $0 != "\"" }) })
                forms.append([("csrf", try #require(page.csrf)), ("id", id), ("values", values), ("choice", "value-1"), ("reason", "samtidig")])
            }
            let (tab1, tab2, form1, form2) = (browser, browser, forms[0], forms[1])
            async let one = { var tab = tab1; return try await tab.post("/review/conflict/resolve", form: form1, via: client) }()
            async let two = { var tab = tab2; return try await tab.post("/review/conflict/resolve", form: form2, via: client) }()
            let replies = try await [one, two]
            #expect(replies.allSatisfy { $0.status == .seeOther }, "\(replies.map { "\($0.status): \($0.html.prefix(2000))" })")
            #expect(try await harness.database.openConflictCount() == 0)
            _ = try await laptop.pull(via: client)
            let resolutions = laptop.state.entities(inCase: caseID).flatMap(\.orderedOperations).filter { $0.kindName == "resolve" }
            #expect(resolutions.map(\.seq).sorted() == [1, 2], "one replica, sequence numbers without a gap")
            #expect(Set(resolutions.map(\.replica)).count == 1)
        }
    }

    // MARK: Cases and handover

    @Test func aHandoverMovesTheCaseWithItsHistoryAndTheOldCaseworkerLosesIt() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var bo = try await client.login("bo")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            let note = try anna.newNote(in: caseID, body: "Første besøg")
            let step = anna.write { a, _, r in a.create(EntityType.nextStep, inCase: caseID, using: &r) }
            let stepText = try anna.write { a, s, _ in try a.set(NextStep.Field.text, to: "Børnefaglig undersøgelse", on: s.entity(step.entity)!) }
            let stepDue = try anna.write { a, s, _ in try a.set(NextStep.Field.due, to: "2020-06-01", on: s.entity(step.entity)!) }
            _ = try await anna.push(caseOps + note + [step, stepText, stepDue], via: client)
            _ = try await anna.pull(via: client)
            _ = try await bo.pull(via: client)
            #expect(bo.state.entity(caseID) == nil)

            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let page = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(page.status == .ok)
            #expect(page.html.contains("Børnefaglig undersøgelse"))
            #expect(page.html.contains("<strong>Overdue:</strong>"), "an overdue deadline is highlighted, in words too")
            #expect(page.html.contains("anna became a member"), "the timeline shows membership")
            let token = try #require(page.csrf)

            let noNote = try await browser.post(
                "/review/cases/\(caseID)/handover", form: [("csrf", token), ("to", "bo"), ("note", " ")], via: client)
            #expect(noNote.status == .badRequest && noNote.html.contains("Write a handover note"))
            let nobody = try await browser.post(
                "/review/cases/\(caseID)/handover", form: [("csrf", token), ("to", "mallory"), ("note", "x")], via: client)
            #expect(nobody.status == .badRequest)
            let unknownCase = try await browser.post(
                "/review/cases/\(String(repeating: "ab", count: 16))/handover", form: [("csrf", token), ("to", "bo"), ("note", "x")], via: client)
            #expect(unknownCase.status == .notFound)

            let handoverText = "Familien er glad for skolen. Husk mødet med PPR."
            let done = try await browser.post(
                "/review/cases/\(caseID)/handover",
                form: [("csrf", token), ("to", "bo"), ("removePrevious", "yes"), ("note", handoverText)], via: client)
            #expect(done.status == .seeOther && done.location == "/review/cases/\(caseID)")

            _ = try await bo.pull(via: client)
            let file = try #require(bo.state.entity(caseID).flatMap(Case.init))
            #expect(file.primaryCaseworker?.name == "bo")
            #expect(file.members.map(\.name) == ["bo"])
            #expect(bo.state.entity(note[0].entity) != nil, "the whole history comes along")
            let notes = bo.state.entities(inCase: caseID).compactMap(Note.init)
            #expect(notes.contains { $0.body == handoverText && $0.kind == .other && $0.author?.name == "dorte" })

            _ = try await anna.pull(via: client)
            #expect(anna.removedCases == [caseID.description])

            let timeline = try await browser.get("/review/cases/\(caseID)", via: client)
            #expect(timeline.html.contains("anna is no longer a member") && timeline.html.contains("Primary caseworker set to bo"))
            let events = try await harness.database.auditEvents(.init(caseID: caseID.description))
            #expect(events.contains { $0.action == "case-viewed" && $0.actor == "dorte" })
            #expect(events.contains { $0.action == "membership-changed" })
        }
    }

    // MARK: Access log

    @Test func theAccessLogListsOfflineReadsAndExportsEscapedCSV() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            let read = PushBatch.Read(at: Int64(Date().timeIntervalSince1970 * 1000) - 1_000, caseID: caseID, entity: nil, what: "case-show")
            _ = try await client.call(.post, "/v1/push", token: anna.token, document: Laptop.pushBody(caseOps, batch: "b1", reads: [read]))

            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let page = try await browser.get("/review/access-log?case=\(caseID)", via: client)
            #expect(page.status == .ok && page.html.contains("device-read") && page.html.contains("(laptop)"))
            #expect(try await browser.get("/review/access-log?case=nonsense", via: client).status == .badRequest)

            let csv = try await browser.get("/review/access-log.csv?case=\(caseID)", via: client)
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition]?.contains("attachment") == true)
            let lines = csv.html.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == "id,time (UTC),milliseconds,actor,device,action,case,source,detail")
            let readLine = try #require(lines.first { $0.contains(",device-read,") })
            #expect(readLine.contains(",anna,") && readLine.contains(",device,\"{\"\"entity\"\":null,"), "JSON detail is quoted with doubled quotes")
            #expect(lines.count >= 3)
            let events = try await harness.database.auditEvents(.init(actor: "dorte"))
            #expect(events.contains { $0.action == "audit-exported" } && events.contains { $0.action == "audit-viewed" })
        }
    }

    @Test func csvFieldsAreQuotedAndFormulasDefused() {
        #expect(AccessLogCSV.field("plain") == "plain")
        #expect(AccessLogCSV.field("a,b") == "\"a,b\"")
        #expect(AccessLogCSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(AccessLogCSV.field("two\nlines") == "\"two\nlines\"")
        #expect(AccessLogCSV.field("=HYPERLINK(1)") == "'=HYPERLINK(1)")
    }

    @Test func theWordDiffMarksOnlyTheDifferingPassages() {
        let segments = WordDiff.segments(of: "Mor og Emil til stede. Emil fortalte om skolen.", comparedWith: "Mor og Emil til stede. Far ringede.")
        #expect(segments.map(\.text).joined() == "Mor og Emil til stede. Emil fortalte om skolen.")
        #expect(segments.filter(\.differs).map(\.text) == ["Emil fortalte om skolen."])
        #expect(WordDiff.segments(of: "same text", comparedWith: "same text").allSatisfy { !$0.differs })
        let inserted = WordDiff.segments(of: "a b c d", comparedWith: "a c d")
        #expect(inserted.filter(\.differs).map(\.text) == ["b"])
    }

    @Test func timesAreShownInUTC() {
        #expect(ReviewTime.text(milliseconds: 0) == "1970-01-01 00:00:00 UTC")
        #expect(ReviewTime.text(milliseconds: 1_795_424_400_123) == "2026-11-23 09:00:00 UTC")
        #expect(ReviewTime.day(milliseconds: 951_782_400_000) == "2000-02-29")
    }

    @Test func theJSONAPIStillAnswersProblemDocuments() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let reply = try await client.call(.get, "/v1/conflicts")
            #expect(reply.status == .unauthorized && reply.problemCode == "unauthenticated")
        }
    }
}

/// Every review page against every kind of visitor: nobody reaches case data
/// without a live supervisor's or admin's session.
@Suite struct ReviewPagesAccessTests {
    enum Visitor: String, CaseIterable, Sendable {
        case anonymous, forgedCookie, supervisor, admin, expired
    }

    enum Page: String, CaseIterable, Sendable {
        case root, queue, conflict, cases, casePage, accessLog, accessLogCSV, resolve, handover
    }

    @Test(arguments: Visitor.allCases, Page.allCases)
    func onlyALiveSupervisorOrAdminSessionReachesAPage(visitor: Visitor, page: Page) async throws {
        // The laptops stamp with the real clock: a server clock at another
        // date would refuse their operations as ahead of it (clock-ahead).
        let clock = ManualWallClock(milliseconds: SystemWallClock().milliseconds())
        let database = try ServerDatabase.inMemory(clock: clock)
        for (name, role) in [("anna", UserRole.caseworker), ("dorte", .supervisor), ("root", .admin)] {
            try await database.addUser(name, role: role, password: ServerHarness.password, bcryptCost: 4)
        }
        let harness = ServerHarness(database: database)
        try await harness.test { client in
            let (_, _, caseID, noteID) = try await ReviewPagesTests.concurrentBodies(client, first: "A", second: "B")
            var browser = ReviewBrowser()
            switch visitor {
            case .anonymous: break
            case .forgedCookie: browser.cookies[ReviewAuthenticator.cookieName] = RandomSecret.generate()
            case .supervisor: try await browser.signIn("dorte", via: client)
            case .admin: try await browser.signIn("root", via: client)
            case .expired:
                try await browser.signIn("dorte", via: client)
                clock.advance(by: UInt64(ServerDatabase.reviewSessionLifetimeSeconds) * 1000 + 1)
            }
            let token = RandomSecret.generate()
            let conflict = ReviewConflictPages.conflictLink("\(noteID)/body/concurrent-values")
            let reply: ReviewBrowser.Page = switch page {
            case .root: try await browser.get("/review", via: client)
            case .queue: try await browser.get("/review/conflicts", via: client)
            case .conflict: try await browser.get(conflict, via: client)
            case .cases: try await browser.get("/review/cases", via: client)
            case .casePage: try await browser.get("/review/cases/\(caseID)", via: client)
            case .accessLog: try await browser.get("/review/access-log", via: client)
            case .accessLogCSV: try await browser.get("/review/access-log.csv", via: client)
            case .resolve: try await browser.post("/review/conflict/resolve", form: [("csrf", token)], via: client)
            case .handover: try await browser.post("/review/cases/\(caseID)/handover", form: [("csrf", token)], via: client)
            }
            let signedIn = visitor == .supervisor || visitor == .admin
            switch (signedIn, page) {
            case (true, .root):
                #expect(reply.status == .seeOther && reply.location == "/review/conflicts")
            case (true, .resolve), (true, .handover):
                #expect(reply.status == .forbidden, "a live session, but a forged CSRF token")
            case (true, _):
                #expect(reply.status == .ok)
            case (false, .resolve), (false, .handover):
                #expect(reply.status == .unauthorized)
                #expect(!reply.html.contains("Familien Holm"))
            case (false, _):
                #expect(reply.status == .seeOther && reply.location == "/review/sign-in")
                #expect(!reply.html.contains("Familien Holm"))
            }
            #expect(try await database.openConflictCount() == 1, "no visitor changed anything")
        }
    }

    @Test func unknownReviewPathsAndWrongMethodsGetHTMLPages() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            let missing = try await browser.get("/review/nothing-here", via: client)
            #expect(missing.status == .notFound && missing.html.contains("There is no page at /review/nothing-here"))
            let wrongMethod = try await browser.post("/review/conflicts", form: [], via: client)
            #expect(wrongMethod.status == .methodNotAllowed && wrongMethod.headers[.allow] == "GET")
            let api = try await client.call(.get, "/v1/nothing-here")
            #expect(api.status == .notFound && api.problemCode == "not-found", "the JSON API keeps its problem documents")
        }
    }

    /// A server whose clock says 2107 must not write ids no replica can read
    /// back: the review form is refused with a page that says why.
    @Test func aReviewFormOnAServerWhoseClockIsWrongStoresNothingAndSaysWhy() async throws {
        let clock = ManualWallClock(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
        let database = try ServerDatabase.inMemory(clock: clock)
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor)] {
            try await database.addUser(name, role: role, password: ServerHarness.password, bcryptCost: 4)
        }
        try await ServerHarness(database: database).test { client in
            var anna = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            // The clock runs into 2100 while dorte's session lasts.
            let year2100: UInt64 = 4_102_444_800_000
            clock.set(year2100 - 4 * 3_600_000)
            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let token = try #require(try await browser.get("/review/cases/\(caseID)", via: client).csrf)
            let before = try await database.operationCount()
            clock.set(year2100 + 600_000)
            browser.acceptsUnavailable = true
            let refused = try await browser.post(
                "/review/cases/\(caseID)/handover", form: [("csrf", token), ("to", "bo"), ("note", "Overdragelse")], via: client)
            #expect(refused.status == .serviceUnavailable, "\(refused.status) \(refused.location ?? "")")
            #expect(refused.html.contains("clock is wrong"))
            #expect(try await database.operationCount() == before)
        }
    }
}


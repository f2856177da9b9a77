@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// Feedforward from the case page: set the next step, change it, mark it
/// done and set the following one.
@Suite struct NextStepPagesTests {
    @Test func aCaseWithoutANextStepAsksForOneAndGetsIt() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let page = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(page.contains("Sagen har intet næste skridt"))
            #expect(page.contains(#"<a class="button" href="\#(app.base)/cases/\#(id)/next-step">Sæt næste skridt</a>"#))
            let form = try await app.request("/cases/\(id)/next-step", cookie: cookie)
            #expect(form.status == 200 && form.body.contains("<h1>Sæt næste skridt</h1>"))
            #expect(form.body.contains(#"<input type="hidden" name="step" value="">"#))
            #expect(form.body.contains(#"name="stepResponsible" value="anna""#))

            let set = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": "", "stepText": "Netværksmøde på skolen", "stepDue": "2099-05-01", "stepResponsible": "anna",
            ])
            #expect(set.status == 303 && set.header("location") == "\(app.base)/cases/\(id)#next-step")
            let shown = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(shown.contains("Netværksmøde på skolen") && shown.contains("senest 1. maj 2099"))
            #expect(!shown.contains("Sagen har intet næste skridt"))
            #expect(try await app.request("/", cookie: cookie).body.contains("Netværksmøde på skolen"))
        }
    }

    @Test func changingTheTextLeavesWhoIsResponsible() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.setNextStep(in: id, NextStepDraft(text: "Ring til skolen", due: CalendarDate("2099-02-01")!, responsible: "bo"))
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let step = try #require(try await app.view(id).nextStepPlan.current)
            let page = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(page.contains(#"href="\#(app.base)/cases/\#(id)/next-step">Ret næste skridt</a>"#))
            let form = try await app.request("/cases/\(id)/next-step", cookie: cookie).body
            // The form holds the step as it is, the responsible colleague included.
            #expect(form.contains(#"name="stepResponsible" value="bo""#))
            #expect(form.contains(">Ring til skolen</textarea>") && form.contains(#"value="2099-02-01""#))
            #expect(form.contains(#"<input type="hidden" name="step" value="\#(step.id)">"#))

            let before = try await app.waitingOperations()
            let changed = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": step.id.description, "stepText": "Ring til skolelederen", "stepDue": "2099-02-01", "stepResponsible": "bo",
            ])
            #expect(changed.status == 303)
            let after = try #require(try await app.view(id).nextStepPlan.current)
            #expect(after.id == step.id && after.text == "Ring til skolelederen" && after.responsible == "bo")
            #expect(after.due?.description == "2099-02-01")
            #expect(try await app.waitingOperations() == before + 1)
        }
    }

    @Test func markingTheStepDoneSetsTheFollowingOneInTheSameChange() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.setNextStep(in: id, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2099-02-01")!, responsible: "bo"))
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let step = try #require(try await app.view(id).nextStepPlan.current)
            let page = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(page.contains(#"href="\#(app.base)/cases/\#(id)/next-step/done">Markér som udført og sæt det næste</a>"#))
            let form = try await app.request("/cases/\(id)/next-step/done", cookie: cookie)
            #expect(form.status == 200 && form.body.contains("Markeres som udført:</strong> Hjemmebesøg"))
            #expect(form.body.contains("<title>Markér næste skridt som udført · "))

            let done = try await app.post("/cases/\(id)/next-step/done", cookie: cookie, [
                "step": step.id.description, "stepText": "Netværksmøde med skolen", "stepDue": "2099-03-15", "stepResponsible": "anna",
            ])
            #expect(done.status == 303 && done.header("location") == "\(app.base)/cases/\(id)#next-step")
            let view = try await app.view(id)
            #expect(view.nextSteps.first { $0.id == step.id }?.status == .done)
            let following = try #require(view.nextStepPlan.current)
            #expect(following.id != step.id && following.text == "Netværksmøde med skolen" && following.responsible == "anna")
            #expect(following.due?.description == "2099-03-15")
            #expect(!view.nextStepPlan.isInConflict)

            // With nothing following, the case is left without a step and says so.
            let last = try await app.post("/cases/\(id)/next-step/done", cookie: cookie, [
                "step": following.id.description, "stepText": "", "stepDue": "", "stepResponsible": "anna",
            ])
            #expect(last.status == 303)
            #expect(try await app.view(id).nextStepPlan.current == nil)
            #expect(try await app.request("/cases/\(id)", cookie: cookie).body.contains("Sagen har intet næste skridt"))
            #expect(try await app.request("/cases/\(id)/next-step/done", cookie: cookie).status == 409)
        }
    }

    @Test func aFormOpenedBeforeTheStepChangedChangesNothing() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.setNextStep(in: id, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2099-02-01")!))
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let shown = try #require(try await app.view(id).nextStepPlan.current)
            // Meanwhile, in another tab: done, and a new step set.
            try await app.session.completeNextStep(in: id, then: NextStepDraft(text: "Møde med PPR", due: CalendarDate("2099-04-01")!))
            let stale = try await app.post("/cases/\(id)/next-step/done", cookie: cookie, [
                "step": shown.id.description, "stepText": "", "stepDue": "", "stepResponsible": "anna",
            ])
            #expect(stale.status == 409 && stale.body.contains("Næste skridt er ændret imens"))
            let staleEdit = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": shown.id.description, "stepText": "Hjemmebesøg i næste uge", "stepDue": "2099-02-08", "stepResponsible": "anna",
            ])
            #expect(staleEdit.status == 409)
            let current = try #require(try await app.view(id).nextStepPlan.current)
            #expect(current.text == "Møde med PPR" && current.status == .open)
        }
    }

    @Test func wrongInputComesBackWithItsMessagesAndTheValuesKept() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.setNextStep(in: id, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2020-02-01")!, responsible: "bo"))
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let step = try #require(try await app.view(id).nextStepPlan.current)
            let wrong = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": step.id.description, "stepText": "Hjemmebesøg med tolk", "stepDue": "i morgen", "stepResponsible": "",
            ])
            #expect(wrong.status == 422)
            #expect(wrong.body.contains("»i morgen« er ikke en dato") && wrong.body.contains("Skriv, hvem der er ansvarlig."))
            #expect(wrong.body.contains(">Hjemmebesøg med tolk</textarea>"))
            #expect(try await app.view(id).nextStepPlan.current?.text == "Hjemmebesøg")

            // A deadline moved into the past is asked about; one that had passed already is not.
            let moved = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": step.id.description, "stepText": "Hjemmebesøg", "stepDue": "2020-01-01", "stepResponsible": "bo",
            ])
            #expect(moved.status == 422 && moved.body.contains("er allerede overskredet"))
            let kept = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": step.id.description, "stepText": "Hjemmebesøg med tolk", "stepDue": "2020-02-01", "stepResponsible": "bo",
            ])
            #expect(kept.status == 303)
            #expect(try await app.view(id).nextStepPlan.current?.text == "Hjemmebesøg med tolk")

            // The following step, once begun, must be whole.
            let half = try await app.post("/cases/\(id)/next-step/done", cookie: cookie, [
                "step": step.id.description, "stepText": "Opfølgning", "stepDue": "", "stepResponsible": "anna",
            ])
            #expect(half.status == 422 && half.body.contains("Skriv en frist.") && half.body.contains(">Opfølgning</textarea>"))
            #expect(try await app.view(id).nextStepPlan.current?.status == .open)
        }
    }

    @Test func competingStepsAreShownAsTheyAreAndNotChangedHere() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            // Bo's laptop saw the case before Anna set its step, and set one of its own.
            let seen = try #require(try await session.replica.entity(id))
            var random = SystemRandomSource()
            var bo = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("bo")!, wallClock: NowClock())
            let theirs = try bo.createNextStep([
                (NextStep.Field.text, .string("Møde med skolen")), (NextStep.Field.due, .string("2099-03-01")),
                (NextStep.Field.responsible, .string("bo")), (NextStep.Field.status, .string(NextStep.Status.open.rawValue)),
            ], in: seen, using: &random)
            try await session.setNextStep(in: id, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2099-02-01")!))
            try await session.replica.storePulled(theirs, removedCases: [], cursor: "1")
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let plan = try await app.view(id).nextStepPlan
            #expect(plan.isInConflict && plan.competing.count == 2)
            let page = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(page.contains("To næste skridt er sat samtidig") && page.contains("Møde med skolen") && page.contains("Hjemmebesøg"))
            #expect(!page.contains("/next-step/done") && !page.contains("Ret næste skridt") && !page.contains("Sæt næste skridt"))
            let form = try await app.request("/cases/\(id)/next-step", cookie: cookie)
            #expect(form.status == 409 && form.body.contains("To næste skridt er i konflikt"))
            #expect(try await app.request("/cases/\(id)/next-step/done", cookie: cookie).status == 409)
            let first = try #require(plan.competing.first)
            let set = try await app.post("/cases/\(id)/next-step", cookie: cookie, [
                "step": first.id.description, "stepText": "Noget helt tredje", "stepDue": "2099-04-01", "stepResponsible": "anna",
            ])
            #expect(set.status == 409)
            let done = try await app.post("/cases/\(id)/next-step/done", cookie: cookie, [
                "step": first.id.description, "stepText": "", "stepDue": "", "stepResponsible": "anna",
            ])
            #expect(done.status == 409)
            let after = try await app.view(id).nextStepPlan
            #expect(after.competing.map(\.text) == plan.competing.map(\.text) && after.competing.allSatisfy { $0.status == .open })
        }
    }

    /// The time now, as a laptop's clock gives it.
    struct NowClock: WallClock {
        func milliseconds() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
    }
}

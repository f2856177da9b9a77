@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// "Ny sag": a case made in the browser, with its first next step.
@Suite struct CaseFormPagesTests {
    @Test func aCaseMadeThroughTheFormIsOnTheCaseList() async throws {
        try await AppHarness.with { app in
            let cookie = try await app.signIn()
            let list = try await app.request("/cases", cookie: cookie).body
            #expect(list.contains(#"<a class="button" href="\#(app.base)/cases/new">Ny sag</a>"#))
            let form = try await app.request("/cases/new", cookie: cookie)
            #expect(form.status == 200)
            for field in ["title", "citizenReference", "stepText", "stepDue", "stepResponsible"] {
                #expect(form.body.contains(#"<label for="\#(field)">"#) && form.body.contains(#"id="\#(field)""#), "\(field)")
            }
            #expect(AppHarness.csrf(in: form.body) == app.csrfToken)
            #expect(form.body.contains("Aldrig et fuldt CPR-nummer"))
            // The responsible is filled in with the user: a first step is usually theirs.
            #expect(form.body.contains(#"name="stepResponsible" value="anna""#))

            let created = try await app.post("/cases/new", cookie: cookie, [
                "title": "Familien Holm", "citizenReference": "0101-A", "stepText": "Hjemmebesøg hos familien",
                "stepDue": "2099-03-01", "stepResponsible": "anna",
            ])
            #expect(created.status == 303)
            let id = try await app.caseID("Familien Holm")
            #expect(created.header("location") == "\(app.base)/cases/\(id)")
            let step = try #require(try await app.view(id).nextStepPlan.current)
            #expect(step.text == "Hjemmebesøg hos familien" && step.due?.description == "2099-03-01" && step.responsible == "anna")

            let page = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(page.contains("<h1>Familien Holm</h1>") && page.contains("Hjemmebesøg hos familien"))
            let listed = try await app.request("/cases", cookie: cookie).body
            #expect(listed.contains("Familien Holm") && listed.contains("0101-A") && listed.contains("1 sag på denne computer"))
        }
    }

    @Test func aCaseNeedsNoFirstStep() async throws {
        try await AppHarness.with { app in
            let cookie = try await app.signIn()
            // The responsible stays filled in as the form gave it.
            let created = try await app.post("/cases/new", cookie: cookie, [
                "title": "Familien Berg", "citizenReference": "", "stepText": " ", "stepDue": "", "stepResponsible": "anna",
            ])
            #expect(created.status == 303)
            let view = try await app.view(try await app.caseID("Familien Berg"))
            #expect(view.nextSteps.isEmpty && view.record?.citizenReference == nil)
        }
    }

    @Test func wrongInputComesBackWithItsMessagesAndTheValuesKept() async throws {
        try await AppHarness.with { app in
            let cookie = try await app.signIn()
            let wrong = try await app.post("/cases/new", cookie: cookie, [
                "title": "  ", "citizenReference": "010190-1234", "stepText": "Ring til skolen", "stepDue": "", "stepResponsible": "anna",
            ])
            #expect(wrong.status == 422)
            #expect(wrong.body.contains("Formularen er ikke gemt"))
            #expect(wrong.body.contains(#"<p id="title-error" class="field-error">Skriv sagens titel.</p>"#))
            #expect(wrong.body.contains(#"aria-describedby="title-hint title-error" aria-invalid="true""#))
            #expect(wrong.body.contains("Det ligner et fuldt CPR-nummer") && wrong.body.contains(#"value="010190-1234""#))
            #expect(wrong.body.contains("Skriv en frist.") && wrong.body.contains(">Ring til skolen</textarea>"))
            #expect(wrong.body.contains("<title>Ny sag · "))
            #expect(try await app.session.replica.cases().isEmpty)

            let notADate = try await app.post("/cases/new", cookie: cookie, [
                "title": "Familien Holm", "stepText": "Ring til skolen", "stepDue": "31-01-2099", "stepResponsible": "anna",
            ])
            #expect(notADate.status == 422 && notADate.body.contains("»31-01-2099« er ikke en dato"))
            #expect(notADate.body.contains(#"value="Familien Holm""#))
            #expect(try await app.session.replica.cases().isEmpty)
        }
    }

    @Test func aDeadlineThatHasPassedIsKeptOnlyWhenConfirmed() async throws {
        try await AppHarness.with { app in
            let cookie = try await app.signIn()
            let fields: KeyValuePairs<String, String> = [
                "title": "Familien Holm", "stepText": "Underretning vurderes", "stepDue": "2020-01-15", "stepResponsible": "anna",
            ]
            let flagged = try await app.post("/cases/new", cookie: cookie, fields)
            #expect(flagged.status == 422)
            #expect(flagged.body.contains("Fristen 15. januar 2020 er allerede overskredet"))
            #expect(flagged.body.contains(#"<input type="checkbox" id="stepPastDue" name="stepPastDue" value="yes">"#))
            #expect(try await app.session.replica.cases().isEmpty)

            let confirmed = try await app.post("/cases/new", cookie: cookie, [
                "title": "Familien Holm", "stepText": "Underretning vurderes", "stepDue": "2020-01-15", "stepResponsible": "anna",
                "stepPastDue": "yes",
            ])
            #expect(confirmed.status == 303)
            let step = try #require(try await app.view(try await app.caseID("Familien Holm")).nextStepPlan.current)
            #expect(step.due?.description == "2020-01-15")
        }
    }

    @Test func aFullCPRNumberIsRecognised() {
        for text in ["0101901234", "010190-1234", "ref 010190 1234", "010190-1234/A"] {
            #expect(CitizenReference.holdsFullCPR(text), "\(text)")
        }
        for text in ["0101-A", "12345", "01019012345", "2026-000123", "0101 90"] {
            #expect(!CitizenReference.holdsFullCPR(text), "\(text)")
        }
    }
}

@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// The forms on a case: refused without the session's token, logged when
/// they show case data, worded in both languages.
@Suite struct CaseFormsAccessTests {
    @Test func everyFormIsRefusedWithoutTheToken() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            try await session.setNextStep(in: id, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2099-02-01")!))
            _ = try await session.addParticipant(to: id, ParticipantDraft(name: "Lene Holm", role: .parent))
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let view = try await app.view(id)
            let step = try #require(view.nextStepPlan.current)
            let lene = try #require(view.participants.first)
            let before = try await app.waitingOperations()
            let posts: [(String, KeyValuePairs<String, String>)] = [
                ("/cases/new", ["title": "Familien Berg"]),
                ("/cases/\(id)/participants/new", ["name": "Mallory", "role": "other"]),
                ("/cases/\(id)/participants/\(lene.id)", ["name": "Mallory", "role": "other"]),
                ("/cases/\(id)/next-step", ["step": step.id.description, "stepText": "x", "stepDue": "2099-01-01", "stepResponsible": "x"]),
                ("/cases/\(id)/next-step/done", ["step": step.id.description]),
            ]
            for (path, fields) in posts {
                for token in ["", "wrong"] {
                    let refused = try await app.post(path, cookie: cookie, csrf: token, fields)
                    #expect(refused.status == 403 && refused.body.contains("Formularen er udløbet"), "\(path) \(token)")
                }
                // Nor without the session cookie, even with the token.
                #expect(try await app.request(path, method: "POST", form: "csrf=\(app.csrfToken)").status == 403, "\(path)")
            }
            #expect(try await app.waitingOperations() == before)
            // The forms' pages carry the token.
            for path in ["/cases/new", "/cases/\(id)/participants/new", "/cases/\(id)/participants/\(lene.id)", "/cases/\(id)/next-step",
                         "/cases/\(id)/next-step/done"] {
                let page = try await app.request(path, cookie: cookie)
                #expect(page.status == 200 && AppHarness.csrf(in: page.body) == app.csrfToken, "\(path)")
                #expect(page.body.contains(#"autocomplete="off""#), "\(path)")
                #expect(!page.body.contains("<title>Familien Holm"), "\(path)")
            }
        }
    }

    @Test func theFormsShowingACaseAreLoggedAndTheChangesAreNot() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            _ = try await app.request("/cases/\(id)", cookie: cookie)
            #expect(try await app.reads().map { "\($0.what) \($0.caseID)" } == ["case-show \(id)"])
            _ = try await app.request("/cases/\(id)/participants/new", cookie: cookie)
            _ = try await app.request("/cases/\(id)/next-step", cookie: cookie)
            let reads = try await app.reads()
            #expect(reads.count == 3 && reads.allSatisfy { $0.what == "case-show" && $0.caseID == id })
            // A change shows nothing: the page it leads to logs the read.
            let added = try await app.post("/cases/\(id)/participants/new", cookie: cookie, ["name": "Lene Holm", "role": "parent"])
            #expect(added.status == 303)
            #expect(try await app.reads().count == 3)
            // The new-case form shows no case.
            _ = try await app.request("/cases/new", cookie: cookie)
            #expect(try await app.reads().count == 3)
        }
    }

    @Test func theFormsSpeakEnglishWhenAsked() async throws {
        try await AppHarness.with(language: .english, prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let form = try await app.request("/cases/\(id)/participants/new", cookie: cookie).body
            #expect(form.contains("<h1>Add participant</h1>") && form.contains(">Health visitor</option>"))
            let wrong = try await app.post("/cases/new", cookie: cookie, ["title": ""])
            #expect(wrong.status == 422 && wrong.body.contains("Write the case&#39;s title."))
        }
    }

    @Test func theKeysTheFormsLookUpExist() {
        let catalogues = AppRoutes.catalogues
        let keys = PageError.formPageKeys + [
            "formDateInvalid", "caseTitleMissing", "citizenReferenceIsCPR", "stepTextMissing", "stepDueMissing", "stepDuePast",
            "stepResponsibleMissing", "participantNameMissing", "participantRoleMissing", "participantAgeInvalid", "participantAgeKept",
            "participantConsentUnknown", "newCaseHeading", "participantNewHeading", "participantEditHeading", "nextStepHeading",
            "nextStepDoneHeading",
        ]
        for language in Language.allCases {
            let known = catalogues.texts(for: language)
            #expect(keys.filter { known[$0] == nil }.isEmpty, "\(language): \(keys.filter { known[$0] == nil })")
            let consents = Participant.Consent.known.map { catalogues.word("consent", $0.rawValue, language) }
            #expect(Set(consents).isDisjoint(with: Participant.Consent.known.map(\.rawValue)), "\(language): \(consents)")
        }
    }
}

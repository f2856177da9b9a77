@testable import FieldApp
@testable import FieldKit
import Foundation
import PageKit
import SyncCore
import Testing

/// The people around the child, added and changed from the case page.
@Suite struct ParticipantPagesTests {
    @Test func aParticipantIsAddedAndEditedFromTheCasePage() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let casePage = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(casePage.contains(#"href="\#(app.base)/cases/\#(id)/participants/new">Tilføj deltager</a>"#))
            let form = try await app.request("/cases/\(id)/participants/new", cookie: cookie)
            #expect(form.status == 200 && form.body.contains("<title>Tilføj deltager · "))
            for role in ["Forælder", "Barn", "Skole", "Dagtilbud", "Sundhedsplejerske", "Psykolog", "Bisidder", "Anden"] {
                #expect(form.body.contains(">\(role)</option>"), "\(role)")
            }
            #expect(form.body.contains(#"<option value="not-asked" selected>Ikke spurgt</option>"#))
            for field in ["name", "role", "contact", "age", "consent", "voice"] {
                #expect(form.body.contains(#"<label for="\#(field)">"#), "\(field)")
            }

            let added = try await app.post("/cases/\(id)/participants/new", cookie: cookie, [
                "name": "Emil Holm", "role": "child", "contact": "", "age": "11", "consent": "given", "voice": "Jeg vil gerne bo hos mor.",
            ])
            #expect(added.status == 303 && added.header("location") == "\(app.base)/cases/\(id)#participants")
            let emil = try #require(try await app.view(id).participants.first)
            #expect(emil.name == "Emil Holm" && emil.role == .child && emil.age == 11 && emil.consent == .given)
            #expect(emil.voice == "Jeg vil gerne bo hos mor." && emil.contact == nil)

            let shown = try await app.request("/cases/\(id)", cookie: cookie).body
            #expect(shown.contains("Emil Holm (11 år)") && shown.contains("<td>Barn</td>"))
            let editLink = "/cases/\(id)/participants/\(emil.id)"
            #expect(shown.contains(#"<a href="\#(app.base)\#(editLink)">Ret<span class="visually-hidden"> Emil Holm</span></a>"#))

            let edit = try await app.request(editLink, cookie: cookie).body
            #expect(edit.contains(#"value="Emil Holm""#) && edit.contains(#"<option value="child" selected>Barn</option>"#))
            #expect(edit.contains(#"value="11""#) && edit.contains(">Jeg vil gerne bo hos mor.</textarea>"))
            #expect(edit.contains(#"<option value="given" selected>Givet</option>"#))

            // Only the contact differs: one change is written, the rest is left as it was.
            let before = try await app.waitingOperations()
            let changed = try await app.post(editLink, cookie: cookie, [
                "name": "Emil Holm", "role": "child", "contact": "22 33 44 55", "age": "11", "consent": "given",
                "voice": "Jeg vil gerne bo hos mor.",
            ])
            #expect(changed.status == 303 && changed.header("location") == "\(app.base)/cases/\(id)#participants")
            #expect(try await app.waitingOperations() == before + 1)
            let edited = try #require(try await app.view(id).participants.first)
            #expect(edited.contact == "22 33 44 55" && edited.name == "Emil Holm" && edited.age == 11)

            let unchanged = try await app.post(editLink, cookie: cookie, [
                "name": "Emil Holm", "role": "child", "contact": "22 33 44 55", "age": "11", "consent": "given",
                "voice": "Jeg vil gerne bo hos mor.",
            ])
            #expect(unchanged.status == 303)
            #expect(try await app.waitingOperations() == before + 1)

            // A contact taken out is removed, not left as it was.
            _ = try await app.post(editLink, cookie: cookie, [
                "name": "Emil Holm", "role": "child", "contact": "", "age": "11", "consent": "given", "voice": "Jeg vil gerne bo hos mor.",
            ])
            #expect(try await app.view(id).participants.first?.contact.nonBlank == nil)
        }
    }

    @Test func editingLeavesAloneWhatWasNeverGiven() async throws {
        try await AppHarness.with(prepare: { session in
            let id = try await session.makeCase("Familien Holm", citizen: "0101-A")
            // Written by a newer client: a role this version does not know, and no consent at all.
            _ = try await session.replica.createEntity(EntityType.participant, inCase: id, fields: [
                (Participant.Field.name, .string("Lis Holm")), (Participant.Field.role, .string("guardian")),
            ])
        }) { app in
            let cookie = try await app.signIn()
            let id = try await app.caseID("Familien Holm")
            let lis = try #require(try await app.view(id).participants.first)
            let editLink = "/cases/\(id)/participants/\(lis.id)"
            let form = try await app.request(editLink, cookie: cookie).body
            #expect(form.contains(#"<option value="guardian" selected>guardian</option>"#))
            let before = try await app.waitingOperations()
            let renamed = try await app.post(editLink, cookie: cookie, [
                "name": "Lis Holm Jensen", "role": "guardian", "contact": "", "age": "", "consent": "not-asked", "voice": "",
            ])
            #expect(renamed.status == 303)
            // The name only: not the unknown role, not a consent nobody gave an answer to.
            #expect(try await app.waitingOperations() == before + 1)
            let state = try #require(try await app.session.replica.entity(lis.id))
            #expect(state.value(of: Participant.Field.role)?.stringValue == "guardian" && state.value(of: Participant.Field.consent)?.stringValue == nil)
            #expect(state.value(of: Participant.Field.name)?.stringValue == "Lis Holm Jensen")
        }
    }

    @Test func wrongInputComesBackWithItsMessagesAndTheValuesKept() async throws {
        try await AppHarness.with(prepare: { session in
            let holm = try await session.makeCase("Familien Holm", citizen: "0101-A")
            _ = try await session.addParticipant(to: holm, ParticipantDraft(name: "Emil Holm", role: .child, age: 11))
            try await session.makeCase("Familien Berg", citizen: "0202-B")
        }) { app in
            let cookie = try await app.signIn()
            let holm = try await app.caseID("Familien Holm")
            let berg = try await app.caseID("Familien Berg")
            let wrong = try await app.post("/cases/\(holm)/participants/new", cookie: cookie, [
                "name": "", "role": "king", "contact": "Skolevej 4", "age": "elleve", "consent": "not-asked", "voice": "",
            ])
            #expect(wrong.status == 422)
            #expect(wrong.body.contains("Skriv deltagerens navn.") && wrong.body.contains("Vælg deltagerens rolle."))
            #expect(wrong.body.contains("»elleve« er ikke en alder") && wrong.body.contains(#"value="elleve""#))
            #expect(wrong.body.contains(#"value="Skolevej 4""#))
            #expect(try await app.view(holm).participants.count == 1)

            let emil = try #require(try await app.view(holm).participants.first)
            let noAge = try await app.post("/cases/\(holm)/participants/\(emil.id)", cookie: cookie, [
                "name": "Emil Holm", "role": "child", "contact": "", "age": "", "consent": "not-asked", "voice": "",
            ])
            #expect(noAge.status == 422 && noAge.body.contains("En alder kan ikke fjernes igen"))
            let tooOld = try await app.post("/cases/\(holm)/participants/\(emil.id)", cookie: cookie, [
                "name": "Emil Holm", "role": "child", "contact": "", "age": "200", "consent": "not-asked", "voice": "",
            ])
            #expect(tooOld.status == 422 && tooOld.body.contains("»200« er ikke en alder"))
            #expect(try await app.view(holm).participants.first?.age == 11)

            // Another case's address does not reach this case's participant.
            let elsewhere = try await app.post("/cases/\(berg)/participants/\(emil.id)", cookie: cookie, [
                "name": "Mallory", "role": "child", "contact": "", "age": "11", "consent": "not-asked", "voice": "",
            ])
            #expect(elsewhere.status == 404 && elsewhere.body.contains("Deltageren findes ikke"))
            #expect(try await app.request("/cases/\(berg)/participants/\(emil.id)", cookie: cookie).status == 404)
            #expect(try await app.view(holm).participants.first?.name == "Emil Holm")
        }
    }
}

import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// Adding and changing the people around the child, from the case page.
struct ParticipantPages: FormPages {
    let state: AppState
    let language: Language?

    struct ParticipantForm: PageFormBody {
        let csrf: String?
        let name: String?
        let role: String?
        let contact: String?
        let age: String?
        let consent: String?
        let voice: String?
    }

    struct Content: Sendable {
        let heading: CaseHeading
        let isNew: Bool
        let action: String
        let name: FormInput
        let roles: [FormChoice]
        let roleError: String?
        let contact: FormInput
        let age: FormInput
        let consents: [FormChoice]
        let consentError: String?
        let voice: FormInput
        let hasErrors: Bool
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("cases/:id/participants/new") { request, context in
            let (session, language) = try await opened(request)
            let view = try await openCase(try context.parameters.require("id"), in: session)
            return try await page(view, nil, form: nil, check: FormCheck(language), session: session)
        }
        group.post("cases/:id/participants/new") { request, context in
            let (session, language) = try await opened(request)
            let form = try await decode(ParticipantForm.self, request)
            let id = try context.parameters.require("id")
            var check = FormCheck(language)
            let values = checked(form, stored: nil, &check)
            guard let values, check.passed else {
                return try await page(try await openCase(id, in: session), nil, form: form, check: check, session: session)
            }
            let caseID = try await checkedCase(id, in: session).caseState.id
            _ = try await session.addParticipant(to: caseID, ParticipantDraft(
                name: values.name, role: values.role, contact: values.contact, age: values.age,
                consent: values.consent == .notAsked ? nil : values.consent, voice: values.voice))
            return PageHeaders.redirect(to: caseLink(caseID) + "#participants")
        }
        group.get("cases/:id/participants/:participant") { request, context in
            let (session, language) = try await opened(request)
            let view = try await openCase(try context.parameters.require("id"), in: session)
            let participant = try Self.participant(try context.parameters.require("participant"), in: view)
            return try await page(view, participant, form: nil, check: FormCheck(language), session: session)
        }
        group.post("cases/:id/participants/:participant") { request, context in
            let (session, language) = try await opened(request)
            let form = try await decode(ParticipantForm.self, request)
            let id = try context.parameters.require("id")
            let participant = try Self.participant(try context.parameters.require("participant"), in: try await checkedCase(id, in: session))
            var check = FormCheck(language)
            guard let values = checked(form, stored: participant, &check), check.passed else {
                let view = try await openCase(id, in: session)
                return try await page(view, try Self.participant(participant.id.description, in: view), form: form, check: check,
                                      session: session)
            }
            try await session.editParticipant(participant.id, values.changes(from: participant))
            return PageHeaders.redirect(to: caseLink(participant.caseID) + "#participants")
        }
    }

    /// A participant of this case: another case's, even on this laptop, is
    /// not changed through this case's address.
    private static func participant(_ id: String, in view: CaseView) throws -> Participant {
        guard let id = EntityID(id), let participant = view.participants.first(where: { $0.id == id }) else {
            throw PageError.participantNotFound
        }
        return participant
    }

    /// A participant's values as the form gives them, checked.
    struct Values {
        let name: String
        let role: Participant.Role
        let contact: String?
        let age: Int?
        let consent: Participant.Consent
        let voice: String?

        /// Only what differs from what the page showed: a field the
        /// caseworker left alone is not written, not even as the value a
        /// missing one reads as (a role never given reads as "other").
        func changes(from stored: Participant) -> ParticipantChanges {
            // A value removed is written as empty text: the change has to say that
            // the contact or the child's words are gone.
            func text(_ new: String?, _ old: String?) -> String? {
                new == old.nonBlank ? nil : new ?? ""
            }
            return ParticipantChanges(
                name: name == stored.name ? nil : name, role: role == stored.role ? nil : role,
                contact: text(contact, stored.contact), age: age == stored.age ? nil : age,
                consent: consent == stored.consent ? nil : consent, voice: text(voice, stored.voice))
        }
    }

    private func checked(_ form: ParticipantForm, stored: Participant?, _ check: inout FormCheck) -> Values? {
        let name = check.required("name", form.name, "participantNameMissing")
        let role = form.role.nonBlank.map(Participant.Role.init(rawValue:))
        if let role, !Self.roles(stored: stored).contains(role) {
            check.fail("role", "participantRoleMissing")
        } else if role == nil {
            check.fail("role", "participantRoleMissing")
        }
        var age: Int?
        if let text = form.age.nonBlank {
            age = Int(text)
            if age.map(ParticipantRules.ages.contains) != true { check.fail("age", "participantAgeInvalid", text) }
        } else if stored?.age != nil {
            check.fail("age", "participantAgeKept")
        }
        let consent = form.consent.nonBlank.map(Participant.Consent.init(rawValue:)) ?? .notAsked
        if !Self.consents(stored: stored).contains(consent) { check.fail("consent", "participantConsentUnknown") }
        guard let name, let role, check.passed else { return nil }
        return Values(name: name, role: role, contact: form.contact.nonBlank, age: age, consent: consent, voice: form.voice.nonBlank)
    }

    /// The roles to choose from: the known ones, and a role this version
    /// does not know when the participant has it, so saving keeps it.
    private static func roles(stored: Participant?) -> [Participant.Role] {
        Participant.Role.known + [stored?.role].compactMap { $0 }.filter { !Participant.Role.known.contains($0) }
    }

    private static func consents(stored: Participant?) -> [Participant.Consent] {
        Participant.Consent.known + [stored?.consent].compactMap { $0 }.filter { !Participant.Consent.known.contains($0) }
    }

    private func page(
        _ view: CaseView, _ participant: Participant?, form: ParticipantForm?, check: FormCheck, session: FieldSession
    ) async throws -> Response {
        let language = check.language
        let catalogues = AppRoutes.catalogues
        let caseLink = caseLink(view.caseState.id)
        let role = form.map { $0.role ?? "" } ?? participant?.role.rawValue ?? ""
        let consent = form.map { $0.consent ?? "" } ?? (participant?.consent ?? .notAsked).rawValue
        let content = Content(
            heading: view.heading(link: caseLink, language: language), isNew: participant == nil,
            action: participant.map { "\(caseLink)/participants/\($0.id)" } ?? "\(caseLink)/participants/new",
            name: check.input("name", form.map(\.name) ?? participant?.name),
            roles: Self.roles(stored: participant).map {
                FormChoice(value: $0.rawValue, label: catalogues.word("role", $0.rawValue, language), selected: $0.rawValue == role)
            },
            roleError: check.errors["role"],
            contact: check.input("contact", form.map(\.contact) ?? participant?.contact),
            age: check.input("age", form.map(\.age) ?? participant?.age.map(String.init)),
            consents: Self.consents(stored: participant).map {
                FormChoice(value: $0.rawValue, label: catalogues.word("consent", $0.rawValue, language), selected: $0.rawValue == consent)
            },
            consentError: check.errors["consent"],
            voice: check.input("voice", form.map(\.voice) ?? participant?.voice),
            hasErrors: !check.passed)
        return try await render("participant", titleKey: participant == nil ? "participantNewHeading" : "participantEditHeading",
                                content: content, language: language, session: session,
                                status: check.passed ? .ok : .unprocessableContent)
    }
}

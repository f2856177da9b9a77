@testable import FieldKit
import Foundation
import SyncCore
import Testing

/// The casework operations that `field` and the caseworker's app both call,
/// on a real encrypted replica signed in to a live server: what each one
/// writes, what it refuses, and which reads it logs for the access log.
@Suite struct CaseworkOperationsTests {
    static let today = CalendarDate("2026-12-07")!

    @Test func onlySupervisorsAndAdminsMayChangeMembershipNotAnUnknownRole() throws {
        func settings(_ role: String) -> FieldSettings {
            FieldSettings(server: "https://sync.example", user: "anna", role: role, device: "3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10")
        }
        for role in ["supervisor", "admin"] { try settings(role).requireMembershipRole() }
        for role in ["caseworker", "", "auditor", "Supervisor"] {
            #expect(throws: FieldError.supervisorsOnly, "role \(role)") { try settings(role).requireMembershipRole() }
        }
    }

    /// Runs `body` with anna's laptop, signed in to a fresh server.
    static func withAnna(_ body: @escaping @Sendable (FieldSession) async throws -> Void) async throws {
        try await TwoLaptopsTests.withServer { _, server in try await body(try await TwoLaptopsTests.laptop("anna", server: server)) }
    }

    /// The `what` of every read logged and not yet uploaded, oldest first.
    static func reads(_ session: FieldSession) async throws -> [String] {
        try await session.replica.pendingReads(limit: 10_000).map(\.read.what)
    }

    static func waiting(_ session: FieldSession) async throws -> Int {
        try await session.replica.status().waitingOperations
    }

    static func note(_ session: FieldSession, _ id: EntityID) async throws -> Note {
        try #require(try await session.replica.entity(id).flatMap(Note.init))
    }

    @Test func aNewCaseHasItsTitleCitizenAndMeAsMemberAndPrimaryCaseworker() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm", citizenReference: "0101-A")
            let record = try #require(try await anna.openCase(caseID).record)
            #expect(record.title == "Familien Holm" && record.citizenReference == "0101-A")
            #expect(record.members == [UserID("anna")!] && record.primaryCaseworker == UserID("anna"))
            #expect(record.status == .open)
            #expect(try await Self.reads(anna) == ["case-show"])
        }
    }

    @Test func aCitizenReferenceHoldingACPRNumberIsRefusedAndNothingIsWritten() async throws {
        try await Self.withAnna { anna in
            for reference in ["010190-1234", "0101901234", "barn 010190 1234"] {
                await #expect(throws: FieldError.citizenReferenceIsCPR, "\(reference)") {
                    _ = try await anna.createCase(title: "Familien Holm", citizenReference: reference)
                }
            }
            #expect(try await Self.waiting(anna) == 0)
            _ = try await anna.createCase(title: "Familien Holm", citizenReference: "0101-A")
        }
    }

    @Test func searchFindsCasesByTitleOrCitizenReferenceInAnyCaseOfLetters() async throws {
        try await Self.withAnna { anna in
            let aeroe = try await anna.createCase(title: "Familien Ærø", citizenReference: "0101-ÅB")
            let holm = try await anna.createCase(title: "Familien Holm", citizenReference: "0202-C")
            let soeren = try await anna.createCase(title: "Søren Østergaard")
            func found(_ search: String) async throws -> Set<EntityID> {
                Set(try await anna.cases(matching: search).map(\.caseState.id))
            }
            #expect(try await found("ærø") == [aeroe])
            #expect(try await found("FAMILIEN ÆRØ") == [aeroe])
            #expect(try await found("østergaard") == [soeren])
            #expect(try await found("ØSTER") == [soeren])
            #expect(try await found("åb") == [aeroe], "the citizen reference")
            #expect(try await found("0202") == [holm])
            #expect(try await found("familien") == [aeroe, holm])
            #expect(try await found("  ") == [aeroe, holm, soeren], "a blank search is every case")
            #expect(try await found("Jensen").isEmpty)
            // Each case shown is logged, and only those: 1+1+1+1+1+1+2+3+0.
            #expect(try await Self.reads(anna) == Array(repeating: "case-list", count: 11))
        }
    }

    @Test func savingANoteFormWritesOnlyTheFieldsThatChanged() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm")
            let mother = try await anna.addParticipant(to: caseID, ParticipantDraft(name: "Lene Holm", role: .parent))
            let school = try await anna.addParticipant(to: caseID, ParticipantDraft(name: "Skolen", role: .school))
            let noteID = try await anna.addNote(in: caseID, NoteDraft(
                kind: .networkMeeting, title: "Netværksmøde", date: Self.today, place: "Skolen", present: [mother, mother],
                body: "Mor og skolen deltog."))
            let before = try await Self.waiting(anna)
            // The case (created, title, status, primary caseworker, member), two participants
            // (created, name, role) and the note (created, kind, title, date, body, place, the mother present once).
            #expect(before == 5 + 2 * 3 + 7)
            // The whole form as a page sends it, unchanged: empty boxes for what was never written.
            var form = NoteChanges(
                kind: .networkMeeting, title: "Netværksmøde", date: Self.today, place: "Skolen", body: "Mor og skolen deltog.",
                familyView: "", childView: "", agreements: "", present: [mother])
            #expect(try await anna.editNote(noteID, form) == 0)
            #expect(try await Self.waiting(anna) == before)

            form.body = "Mor og skolen deltog. Emil var syg."
            form.agreements = "Nyt møde om fire uger"
            #expect(try await anna.editNote(noteID, form) == 2)
            #expect(try await Self.waiting(anna) == before + 2)
            #expect(try await anna.editNote(noteID, form) == 0, "the same form saved again writes nothing")
            #expect(try await Self.waiting(anna) == before + 2)

            // Ticks: the school added, the mother taken off; then nothing again.
            form.present = [school]
            #expect(try await anna.editNote(noteID, form) == 2)
            #expect(try await anna.editNote(noteID, form) == 0)
            let note = try await Self.note(anna, noteID)
            #expect(note.present == [school])
            #expect(note.body == "Mor og skolen deltog. Emil var syg." && note.agreements == "Nyt møde om fire uger")
            // The command line's --participant adds to those present.
            #expect(try await anna.editNote(noteID, NoteChanges(addPresent: [mother])) == 1)
            #expect(try await anna.editNote(noteID, NoteChanges(addPresent: [mother])) == 0)
            #expect(Set(try await Self.note(anna, noteID).present) == [mother, school])
            #expect(try await Self.reads(anna).isEmpty, "writing logs no read")
        }
    }

    @Test func whoWasPresentMustBeAParticipantOfTheCase() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm")
            let other = try await anna.createCase(title: "Familien Jensen")
            let stranger = try await anna.addParticipant(to: other, ParticipantDraft(name: "Per Jensen", role: .parent))
            let before = try await Self.waiting(anna)
            await #expect(throws: FieldError.notAParticipant(stranger.description, caseID: caseID.description)) {
                _ = try await anna.addNote(in: caseID, NoteDraft(kind: .homeVisit, present: [stranger], body: "Besøg."))
            }
            let noteID = try await anna.addNote(in: caseID, NoteDraft(kind: .homeVisit, body: "Besøg."))
            await #expect(throws: FieldError.notAParticipant(other.description, caseID: caseID.description)) {
                try await anna.editNote(noteID, NoteChanges(body: "Ændret.", addPresent: [other]))
            }
            await #expect(throws: FieldError.notACase(noteID.description)) {
                _ = try await anna.addNote(in: noteID, NoteDraft(kind: .homeVisit, body: "Besøg."))
            }
            await #expect(throws: FieldError.notANote(caseID.description)) {
                try await anna.editNote(caseID, NoteChanges(body: "Ændret."))
            }
            // Only the note in between was written; a refused edit writes none of its fields.
            #expect(try await Self.waiting(anna) == before + 4)
            #expect(try await Self.note(anna, noteID).body == "Besøg.")
        }
    }

    @Test func aFinalizedNoteRefusesEditsAndKeepsCorrectionsBesideTheRecord() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm")
            let noteID = try await anna.addNote(in: caseID, NoteDraft(kind: .homeVisit, title: "Besøg", body: "Besøg tirsdag."))
            await #expect(throws: FieldError.notFinalized(noteID.description)) {
                try await anna.addCorrections(to: noteID, NoteChanges(body: "Rettelse."))
            }
            try await anna.finalizeNote(noteID)
            await #expect(throws: FieldError.finalized(noteID.description)) { try await anna.finalizeNote(noteID) }
            let before = try await Self.waiting(anna)
            await #expect(throws: FieldError.finalized(noteID.description)) {
                try await anna.editNote(noteID, NoteChanges(body: "Besøg onsdag."))
            }
            #expect(try await Self.waiting(anna) == before)

            let correction = NoteChanges(title: "Besøg", body: "Rettelse: besøget var onsdag.")
            #expect(try await anna.addCorrections(to: noteID, correction) == 1, "the title is as recorded")
            #expect(try await anna.addCorrections(to: noteID, correction) == 0, "a correction saved twice is written once")
            let note = try await Self.note(anna, noteID)
            #expect(note.status == .finalized && note.body == "Besøg tirsdag.", "the record never changes")
            #expect(note.addenda.map(\.field) == [Note.Field.body])
            #expect(note.addenda.map(\.value.value) == ["Rettelse: besøget var onsdag."])
            #expect(try await Self.waiting(anna) == before + 1)
        }
    }

    @Test func theAgendaListsOpenStepsOverdueFirstThenByDeadline() async throws {
        try await Self.withAnna { anna in
            let later = try await anna.createCase(title: "Familien Andersen", citizenReference: "0303-C")
            let overdue = try await anna.createCase(title: "Familien Holm", citizenReference: "0101-A")
            let soon = try await anna.createCase(title: "Familien Ærø", citizenReference: "0202-B")
            _ = try await anna.createCase(title: "Familien Uden Skridt")
            try await anna.setNextStep(in: later, NextStepDraft(text: "Statusmøde", due: CalendarDate("2027-01-15")!))
            try await anna.setNextStep(in: overdue, NextStepDraft(text: "Ring til skolen", due: CalendarDate("2026-11-30")!))
            try await anna.setNextStep(in: soon, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2026-12-20")!, responsible: "bo"))
            let done = try await anna.createCase(title: "Familien Færdig")
            try await anna.setNextStep(in: done, NextStepDraft(text: "Afsluttet", due: CalendarDate("2026-11-01")!))
            try await anna.completeNextStep(in: done)
            #expect(try await Self.reads(anna).isEmpty)

            let agenda = try await anna.agenda(today: Self.today)
            #expect(agenda.map(\.caseID) == [overdue, soon, later])
            #expect(agenda.map(\.isOverdue) == [true, false, false])
            #expect(agenda.map(\.caseTitle) == ["Familien Holm", "Familien Ærø", "Familien Andersen"])
            #expect(agenda.map(\.citizenReference) == ["0101-A", "0202-B", "0303-C"])
            #expect(agenda[1].step.responsible == "bo" && agenda[0].step.responsible == "anna")
            #expect(agenda.allSatisfy { !$0.isCompeting })
            // Every case with a next step was read, the one whose step is done too; the one without was not.
            #expect(try await Self.reads(anna) == Array(repeating: "agenda", count: 4))

            let withinTheMonth = try await anna.agenda(today: Self.today, dueBy: CalendarDate("2026-12-31")!)
            #expect(withinTheMonth.map(\.caseID) == [overdue, soon])
        }
    }

    @Test func settingTheSameNextStepAgainWritesNothingAndDoneThenNextIsOneChange() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm")
            await #expect(throws: FieldError.noOpenNextStep) { try await anna.completeNextStep(in: caseID) }
            let first = NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2026-12-20")!)
            #expect(try await anna.setNextStep(in: caseID, first).current == nil, "the plan it was set on had none")
            let afterCreate = try await Self.waiting(anna)
            try await anna.setNextStep(in: caseID, first)
            #expect(try await Self.waiting(anna) == afterCreate, "the same step again writes nothing")
            try await anna.setNextStep(in: caseID, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2026-12-22")!))
            #expect(try await Self.waiting(anna) == afterCreate + 1, "only the deadline changed")

            let next = NextStepDraft(text: "Netværksmøde", due: CalendarDate("2027-01-10")!, responsible: "bo")
            let completed = try await anna.completeNextStep(in: caseID, then: next)
            #expect(completed.text == "Hjemmebesøg")
            // Done (1), and the next step created with its four fields and named the case's (6).
            #expect(try await Self.waiting(anna) == afterCreate + 1 + 7)
            let plan = try await anna.caseView(caseID.description).nextStepPlan
            #expect(plan.current?.text == "Netværksmøde" && plan.current?.responsible == "bo" && !plan.isInConflict)
            #expect(plan.steps.first { $0.id == completed.id }?.status == .done)
            #expect(try await Self.reads(anna).isEmpty, "checks and writes log no read")
        }
    }

    @Test func everyViewThatShowsCaseDataLogsOneReadAndChecksLogNone() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm")
            let mother = try await anna.addParticipant(to: caseID, ParticipantDraft(name: "Lene Holm", role: .parent))
            let noteID = try await anna.addNote(in: caseID, NoteDraft(kind: .homeVisit, present: [mother], body: "Besøg."))
            try await anna.editParticipant(mother, ParticipantChanges(contact: "12 34 56 78"))
            _ = try await anna.caseView(caseID.description)
            _ = try await anna.syncState()
            _ = try await anna.resolve(String(noteID.description.prefix(8)))
            #expect(try await Self.reads(anna).isEmpty)

            _ = try await anna.openCase(caseID)
            #expect(try await anna.participants(in: caseID).map(\.name) == ["Lene Holm"])
            #expect(try await anna.notes(in: caseID).map(\.id) == [noteID])
            let shown = try await anna.note(noteID)
            #expect(shown.presentParticipants[mother]?.name == "Lene Holm")
            #expect(try await anna.openConflicts().conflicts.isEmpty)
            #expect(try await Self.reads(anna) == ["case-show", "participant-list", "note-list", "note-show"],
                    "no conflicts, nothing shown of them")
            let noteRead = try await anna.replica.pendingReads(limit: 10).last?.read
            #expect(noteRead?.entity == noteID && noteRead?.caseID == caseID)
            await #expect(throws: FieldError.notACase(noteID.description)) { _ = try await anna.openCase(noteID) }
            await #expect(throws: FieldError.notANote(caseID.description)) { _ = try await anna.note(caseID) }
            #expect(try await Self.reads(anna).count == 4, "what is refused is not shown, nor logged")
        }
    }

    @Test func aParticipantFormWritesOnlyWhatChangedAndAnAgeMustBePlausible() async throws {
        try await Self.withAnna { anna in
            let caseID = try await anna.createCase(title: "Familien Holm")
            await #expect(throws: FieldError.participantAge(130)) {
                _ = try await anna.addParticipant(to: caseID, ParticipantDraft(name: "Emil", role: .child, age: 130))
            }
            let emil = try await anna.addParticipant(to: caseID, ParticipantDraft(name: "Emil", role: .child, age: 9, consent: .notAsked))
            let form = ParticipantChanges(name: "Emil", role: .child, age: 10, consent: .given, voice: "Jeg vil gerne bo hjemme")
            #expect(try await anna.editParticipant(emil, form) == 3)
            #expect(try await anna.editParticipant(emil, form) == 0)
            let participant = try #require(try await anna.replica.entity(emil).flatMap(Participant.init))
            #expect(participant.age == 10 && participant.consent == .given && participant.voice == "Jeg vil gerne bo hjemme")
            await #expect(throws: FieldError.unknownParticipant(caseID.description)) {
                try await anna.editParticipant(caseID, form)
            }
        }
    }

    @Test func membershipChangesAreForSupervisorsAndNameARealUser() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let annas = try await anna.createCase(title: "Familien Holm")
            await #expect(throws: FieldError.supervisorsOnly) { try await anna.shareCase(annas, with: "bo") }
            let caseID = try await dorte.createCase(title: "Familien Jensen")
            await #expect(throws: FieldError.notAUserName("Bo Jensen")) { try await dorte.shareCase(caseID, with: "Bo Jensen") }
            try await dorte.shareCase(caseID, with: "anna")
            #expect(Set(try #require(try await dorte.caseView(caseID.description).record).members) == [UserID("dorte")!, UserID("anna")!])
            #expect(try await dorte.assignCase(caseID, to: "bo", removingPrevious: true))
            let record = try #require(try await dorte.caseView(caseID.description).record)
            #expect(record.primaryCaseworker == UserID("bo"))
            #expect(Set(record.members) == [UserID("anna")!, UserID("bo")!])
            try await dorte.unshareCase(caseID, with: "anna")
            #expect(try #require(try await dorte.caseView(caseID.description).record).members == [UserID("bo")!])
        }
    }

    /// anna's case with a note whose body anna and dorte (a supervisor)
    /// changed without seeing each other's change, both laptops synced.
    static func noteInConflict(_ anna: FieldSession, _ dorte: FieldSession) async throws -> (caseID: EntityID, noteID: EntityID) {
        let caseID = try await anna.createCase(title: "Familien Holm")
        let noteID = try await anna.addNote(in: caseID, NoteDraft(kind: .homeVisit, body: "Hjemmebesøg."))
        _ = try await anna.sync()
        _ = try await dorte.sync()
        try await anna.editNote(noteID, NoteChanges(body: "Mor og Emil til stede."))
        try await dorte.editNote(noteID, NoteChanges(body: "Far deltog telefonisk."))
        _ = try await anna.sync()
        _ = try await dorte.sync()
        _ = try await anna.sync()
        return (caseID, noteID)
    }

    @Test func conflictsOfACaseAreListedAndLoggedAndASupervisorSettlesThem() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let (caseID, noteID) = try await Self.noteInConflict(anna, dorte)

            let list = try await anna.openConflicts(in: caseID)
            let conflict = try #require(list.conflicts.first)
            #expect(list.conflicts.count == 1 && conflict.field == Note.Field.body && !conflict.isBetweenNextSteps)
            #expect(try await Self.reads(anna) == ["conflicts"])
            #expect(try await anna.syncState().openConflicts == 1)
            await #expect(throws: FieldError.supervisorsOnly) {
                try await anna.resolveConflict(conflict.id, .value(number: 1), reason: "Mor bekræfter")
            }
            await #expect(throws: FieldError.noSuchValue(pick: 3, count: 2)) {
                try await dorte.resolveConflict(conflict.id, .value(number: 3), reason: "Mor bekræfter")
            }
            await #expect(throws: FieldError.unknownID("no-such-conflict")) {
                try await dorte.resolveConflict("no-such-conflict", .value(number: 1), reason: "Mor bekræfter")
            }
            // A decider who saw one value only (the other came by a sync since):
            // nothing is settled unseen.
            await #expect(throws: FieldError.conflictChanged(conflict.id)) {
                try await dorte.resolveConflict(conflict.id, .value(number: 1), reason: "Mor bekræfter",
                                                shownValues: [conflict.values[0].operation])
            }
            #expect(try await dorte.openConflicts().conflicts.count == 1)
            try await dorte.resolveConflict(conflict.id, .merged("Mor og Emil til stede; far deltog telefonisk."), reason: "Begge er rigtige",
                                            shownValues: conflict.values.map(\.operation))
            #expect(try await dorte.openConflicts().conflicts.isEmpty)
            _ = try await dorte.sync()
            _ = try await anna.sync()
            #expect(try await anna.openConflicts().conflicts.isEmpty)
            #expect(try await Self.note(anna, noteID).body == "Mor og Emil til stede; far deltog telefonisk.")
        }
    }
}

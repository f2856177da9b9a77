@testable import FieldApp
import PageKit
import SyncCore
import Testing

/// Every word a page shows comes from the catalogue of its language, and the
/// two catalogues say the same things.
@Suite struct CatalogueTests {
    static let catalogues = AppRoutes.catalogues

    @Test func bothCataloguesHaveExactlyTheSameKeys() {
        let danish = Set(Self.catalogues.texts(for: .danish).keys)
        let english = Set(Self.catalogues.texts(for: .english).keys)
        #expect(!danish.isEmpty)
        #expect(danish.subtracting(english).isEmpty, "only in da.json: \(danish.subtracting(english).sorted())")
        #expect(english.subtracting(danish).isEmpty, "only in en.json: \(english.subtracting(danish).sorted())")
        for language in Language.allCases {
            let blank = Self.catalogues.texts(for: language).filter { $0.value.trimmingCharacters(in: .whitespaces).isEmpty }
            #expect(blank.isEmpty, "\(language): \(blank.keys.sorted())")
        }
    }

    @Test func everyKeyATemplateUsesExists() throws {
        let templates = AppRoutes.renderer.templateSources
        #expect(Set(templates.keys).isSuperset(of: ["header", "footer", "agenda", "cases", "case", "unlock", "error"]))
        let pattern = #/\{\{[#^/]?\s*t\.([A-Za-z0-9_]+)\s*\}\}/#
        var used: Set<String> = []
        for (name, source) in templates {
            for match in source.matches(of: pattern) { used.insert(String(match.1)) }
            #expect(!source.contains("{{{"), "\(name) inserts a value unescaped")
        }
        #expect(used.count > 40)
        let known = Set(Self.catalogues.texts(for: .danish).keys)
        #expect(used.subtracting(known).isEmpty, "missing: \(used.subtracting(known).sorted())")
    }

    @Test func theKeysTheCodeLooksUpExist() {
        let known = Self.catalogues.texts(for: .danish)
        var needed = PageError.catalogueKeys
        needed += [PageError.closed, .caseNotFound].flatMap { [$0.headingKey, $0.messageKey] }
        needed += ["syncLast", "syncNever", "syncWaitingNone", "syncWaitingOne", "syncWaitingMany", "unlockEmpty", "unlockWrongOne", "unlockWrongMany", "unlockWaitOne",
                   "unlockWaitMany", "unlockBusy", "unlockFailed",
                   "casesFoundOne", "casesFoundMany", "casesAllOne", "casesAllMany", "conflictsNone", "conflictsOne", "conflictsMany",
                   "untitled", "noName", "noText", "participantAge", "noteFinalized", "noteDraft",
                   PageError.dataDeleted.headingKey, PageError.dataDeleted.messageKey, "syncStarting", "syncFinishedAt",
                   "syncProgressSending", "syncProgressSendingSome", "syncProgressFetching", "syncProgressFetchingSome",
                   "syncDoneHeading", "syncDonePartlyHeading", "syncDoneSentNone", "syncDoneSentOne", "syncDoneSentMany", "syncDoneFetchedNone", "syncDoneFetchedOne", "syncDoneFetchedMany", "syncRedated", "syncResent", "syncNotRestored",
                   "syncCasesWaitingOne", "syncCasesWaitingMany", "syncWithdrawnOne", "syncWithdrawnMany", "syncHandedOverUnsentOne", "syncHandedOverUnsentMany",
                   "conflictAnotherOfMine"]
        #expect(needed.filter { known[$0] == nil }.isEmpty, "missing: \(needed.filter { known[$0] == nil })")
        // Every value this version knows has its word in both languages.
        for language in Language.allCases {
            let words = Participant.Role.known.map { Self.catalogues.word("role", $0.rawValue, language) }
                + Note.Kind.known.map { Self.catalogues.word("noteKind", $0.rawValue, language) }
                + Case.Status.known.map { Self.catalogues.word("caseStatus", $0.rawValue, language) }
            let raw = Participant.Role.known.map(\.rawValue) + Note.Kind.known.map(\.rawValue) + Case.Status.known.map(\.rawValue)
            // A key missing shows the value as it is stored.
            #expect(Set(words).isDisjoint(with: raw), "\(language): \(words)")
        }
        #expect(Self.catalogues.word("role", "day-care", .danish) == "Dagtilbud")
        #expect(Self.catalogues.word("role", "ombudsman", .danish) == "ombudsman")
    }

    @Test func placeholdersAreFilledIn() {
        #expect(Self.catalogues.text("syncWaitingMany", .danish, "3") == "3 ændrede ting venter på at blive sendt")
        #expect(Self.catalogues.text("casesFoundMany", .english, "2", "holm") == "2 cases match “holm”.")
    }
}

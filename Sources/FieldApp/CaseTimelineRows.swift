import FieldKit
import PageKit
import SyncCore

/// The case page's timeline in the reader's words: what happened, who did
/// it and when, newest first.
struct CaseTimelineRow: Sendable {
    let text: String
    let who: String
    let when: String
    /// The note an event is about, to open it.
    let link: String?

    /// How many events the case page shows at first, and at most however
    /// often "show more" is followed: the page stays quick on a case with
    /// thousands of notes.
    static let firstCount = 50
    static let maximumCount = 2000

    /// The count the address asks for (`?events=N`), within bounds.
    static func count(asked: String?) -> Int {
        guard let asked, let number = Int(asked) else { return firstCount }
        return min(max(number, firstCount), maximumCount)
    }

    static func rows(_ timeline: CaseTimeline, of view: CaseView, base: String, language: Language) -> [CaseTimelineRow] {
        let catalogues = AppRoutes.catalogues
        let dates = DateText(language)
        var types: [EntityID: String] = [:]
        for entity in [view.caseState] + view.entities { types[entity.id] = entity.entityType }
        return timeline.events.map { event in
            let subject: String
            switch event.kind {
            case .caseStatusChanged:
                subject = catalogues.word("caseStatus", event.subject ?? "", language)
            case .conflictSettled:
                subject = ConflictText.field(event.subject ?? "", of: types[event.entity], language: language)
            case .noteWritten, .noteFinalized, .noteCorrected:
                subject = event.subject ?? catalogues.text("untitled", language)
            case .nextStepSet, .nextStepDone, .nextStepCancelled:
                subject = event.subject ?? catalogues.text("noText", language)
            case .participantAdded, .participantRemoved:
                subject = event.subject ?? catalogues.text("noName", language)
            case .caseCreated, .caseShared, .caseUnshared, .caseHandedOver:
                subject = event.subject ?? ""
            }
            let key = "timeline" + event.kind.rawValue.prefix(1).uppercased() + event.kind.rawValue.dropFirst()
            return CaseTimelineRow(
                text: catalogues.text(key, language, subject), who: event.author.description,
                when: dates.dateAndTime(milliseconds: Int64(clamping: event.milliseconds)),
                link: types[event.entity] == EntityType.note ? "\(base)/notes/\(event.entity)" : nil)
        }
    }
}

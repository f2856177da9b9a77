@testable import FieldApp
import FieldKit
import Foundation
import SyncCore
import Testing

/// The case page's timeline: what happened in the case and when, newest
/// first, the last fifty at first and more on request.
@Suite struct CaseTimelinePageTests {
    @Test func theCasePageTellsWhatHappenedNewestFirst() async throws {
        try await AppHarness.with(prepare: { session in
            let caseID = try await session.makeCase("Familien Holm", citizen: "0101-A", participants: [("Mor", .parent)])
            let noteID = try await session.addNote(in: caseID, NoteDraft(kind: .homeVisit, title: "Hjemmebesøg", body: "Mor og Emil."))
            try await session.finalizeNote(noteID)
            try await session.setNextStep(in: caseID, NextStepDraft(text: "Ring til skolen", due: CalendarDate("2099-01-10")!))
        }) { app in
            let cookie = try await app.signIn()
            let caseID = try #require(try await app.session.replica.cases().first?.id)
            let noteID = try #require(try await app.session.notes(in: caseID).first?.id)
            let page = try await app.request("/cases/\(caseID)", cookie: cookie).body
            let section = try #require(page.range(of: #"<h2 id="timeline">Forløb</h2>"#).map { String(page[$0.upperBound...]) })
            let told = ["Næste skridt sat: »Ring til skolen«", "Notat afsluttet: »Hjemmebesøg«", "Notat skrevet: »Hjemmebesøg«",
                        "Deltager tilføjet: Mor", "Sagen blev oprettet"]
            let positions = told.map { section.range(of: $0)?.lowerBound }
            #expect(positions.allSatisfy { $0 != nil }, "\(section.prefix(2000))")
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
            #expect(section.contains(#"<a href="\#(app.base)/notes/\#(noteID)">Notat afsluttet: »Hjemmebesøg«</a>"#))
            #expect(section.contains("<span class=\"when\">anna · "))
            #expect(!section.contains("Vis flere hændelser"))
        }
    }

    @Test func aLongTimelineShowsTheLastFiftyAndMoreOnRequest() async throws {
        try await AppHarness.with(prepare: { session in
            let caseID = try await session.makeCase("Familien Holm", citizen: "0101-A")
            for number in 1...60 {
                _ = try await session.addParticipant(to: caseID, ParticipantDraft(name: "Deltager \(number)", role: .other))
            }
        }) { app in
            let cookie = try await app.signIn()
            let caseID = try #require(try await app.session.replica.cases().first?.id)
            let first = try await app.request("/cases/\(caseID)", cookie: cookie).body
            #expect(first.components(separatedBy: "Deltager tilføjet: ").count - 1 == 50)
            #expect(first.contains("Deltager tilføjet: Deltager 60") && !first.contains("Deltager tilføjet: Deltager 10<"))
            #expect(first.contains(#"<a href="\#(app.base)/cases/\#(caseID)?events=150#timeline">Vis flere hændelser</a>"#))
            let all = try await app.request("/cases/\(caseID)?events=150", cookie: cookie).body
            #expect(all.contains("Deltager tilføjet: Deltager 1<") && all.contains("Sagen blev oprettet"))
            #expect(!all.contains("Vis flere hændelser"))
            // An address asking for nonsense gets the first fifty.
            for asked in ["-5", "abc", "99999999999999999999"] {
                let page = try await app.request("/cases/\(caseID)?events=\(asked)", cookie: cookie)
                #expect(page.status == 200 && page.body.components(separatedBy: "Deltager tilføjet: ").count - 1 == 50, "\(asked)")
            }
        }
    }
}

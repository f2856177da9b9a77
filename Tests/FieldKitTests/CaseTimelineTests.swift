@testable import FieldKit
import SyncCore
import SyncTestSupport
import Testing

/// The case page's timeline, built from the operations a laptop holds of the
/// case: one event per thing a caseworker did, newest first, whatever the
/// number of operations each took.
@Suite struct CaseTimelineTests {
    /// A case's entities as a laptop holds them, written by several people
    /// on their own laptops, a minute apart.
    struct World {
        let clock = ManualWallClock()
        var random = SeededRandom(seed: 16)
        var states: [EntityID: EntityState] = [:]
        var caseID: EntityID?

        mutating func author(_ name: String) -> OperationAuthor {
            OperationAuthor(replica: ReplicaID(using: &random), user: UserID(name)!, wallClock: clock)
        }

        mutating func store(_ operations: [SyncCore.Operation]) {
            clock.advance(by: 60_000)
            for operation in operations { states[operation.entity, default: EntityState(id: operation.entity)].apply(operation) }
        }

        /// Writes `make`'s operations one after another on the states as they become.
        mutating func write(_ author: inout OperationAuthor, _ make: (inout OperationAuthor, inout [EntityID: EntityState]) throws -> [SyncCore.Operation]) rethrows {
            var scratch = states
            store(try make(&author, &scratch))
        }

        func timeline(limit: Int = 50) throws -> CaseTimeline {
            let caseID = try #require(caseID)
            let caseState = try #require(states[caseID])
            return CaseTimeline(caseState: caseState, entities: Array(states.values), limit: limit)
        }
    }

    static func apply(_ operation: SyncCore.Operation, _ states: inout [EntityID: EntityState]) -> SyncCore.Operation {
        states[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
        return operation
    }

    /// A case as `field case new` writes it, by anna.
    static func newCase(_ world: inout World, _ anna: inout OperationAuthor) throws {
        var random = world.random
        try world.write(&anna) { author, states in
            let created = apply(author.create(EntityType.caseFile, inCase: nil, using: &random), &states)
            let id = created.entity
            return [created,
                    apply(try author.set(Case.Field.title, to: "Familien Holm", on: states[id]!), &states),
                    apply(try author.set(Case.Field.status, to: "open", on: states[id]!), &states),
                    apply(try author.set(Case.Field.primaryCaseworker, to: "anna", on: states[id]!), &states),
                    apply(try author.add("anna", to: Case.Field.members, on: states[id]!), &states)]
        }
        world.random = random
        world.caseID = world.states.values.first { $0.entityType == EntityType.caseFile }?.id
    }

    @Test func eachThingDoneIsOneEventNewestFirstWithWhoDidIt() throws {
        var world = World()
        var anna = world.author("anna")
        var dorte = world.author("dorte")
        try Self.newCase(&world, &anna)
        let caseID = try #require(world.caseID)
        var random = world.random
        try world.write(&anna) { author, states in
            let created = Self.apply(author.create(EntityType.participant, inCase: caseID, using: &random), &states)
            return [created, Self.apply(try author.set(Participant.Field.name, to: "Mor", on: states[created.entity]!), &states),
                    Self.apply(try author.set(Participant.Field.role, to: "parent", on: states[created.entity]!), &states)]
        }
        var noteID: EntityID?
        try world.write(&anna) { author, states in
            let created = Self.apply(author.create(EntityType.note, inCase: caseID, using: &random), &states)
            noteID = created.entity
            return [created, Self.apply(try author.set(Note.Field.title, to: "Hjemmebesøg", on: states[created.entity]!), &states)]
        }
        let note = try #require(noteID)
        // The draft's autosaves are not events of their own.
        for text in ["Mor", "Mor og Emil", "Mor og Emil var hjemme."] {
            try world.write(&anna) { author, states in [Self.apply(try author.set(Note.Field.body, to: .string(text), on: states[note]!), &states)] }
        }
        try world.write(&anna) { author, states in [Self.apply(try author.finalize(states[note]!), &states)] }
        // Two fields corrected in one save: one correction.
        try world.write(&anna) { author, states in
            [Self.apply(author.addendum(Note.Field.place, value: "Hjemmet", on: states[note]!), &states),
             Self.apply(author.addendum(Note.Field.body, value: "Mor og Emil var hjemme. Far ringede.", on: states[note]!), &states)]
        }
        var stepID: EntityID?
        try world.write(&anna) { author, states in
            let operations = try author.createNextStep([(NextStep.Field.text, "Ring til skolen"), (NextStep.Field.due, "2026-12-10"),
                                                        (NextStep.Field.responsible, "anna"), (NextStep.Field.status, "open")],
                                                       in: states[caseID]!, using: &random)
            stepID = operations[0].entity
            return operations.map { Self.apply($0, &states) }
        }
        let step = try #require(stepID)
        try world.write(&anna) { author, states in
            [Self.apply(try author.set(NextStep.Field.status, to: "done", on: states[step]!), &states)]
        }
        // A handover adds the member and names the primary caseworker: one event.
        try world.write(&dorte) { author, states in
            [Self.apply(try author.add("bo", to: Case.Field.members, on: states[caseID]!), &states),
             Self.apply(try author.set(Case.Field.primaryCaseworker, to: "bo", on: states[caseID]!), &states)]
        }
        try world.write(&dorte) { author, states in [Self.apply(try author.add("carl", to: Case.Field.members, on: states[caseID]!), &states)] }
        try world.write(&dorte) { author, states in [Self.apply(try author.remove("carl", from: Case.Field.members, on: states[caseID]!), &states)] }
        try world.write(&dorte) { author, states in [Self.apply(try author.set(Case.Field.status, to: "closed", on: states[caseID]!), &states)] }

        let timeline = try world.timeline()
        let told = timeline.events.map { "\($0.kind.rawValue) \($0.subject ?? "-") \($0.author)" }
        #expect(told == [
            "caseStatusChanged closed dorte", "caseUnshared carl dorte", "caseShared carl dorte", "caseHandedOver bo dorte",
            "nextStepDone Ring til skolen anna", "nextStepSet Ring til skolen anna",
            "noteCorrected Hjemmebesøg anna", "noteFinalized Hjemmebesøg anna", "noteWritten Hjemmebesøg anna",
            "participantAdded Mor anna", "caseCreated - anna",
        ])
        #expect(!timeline.hasMore)
        #expect(timeline.events.first?.milliseconds == world.clock.milliseconds() - 60_000)

        let bounded = try world.timeline(limit: 3)
        #expect(bounded.events.map(\.kind) == [.caseStatusChanged, .caseUnshared, .caseShared])
        #expect(bounded.hasMore)
    }

    @Test func aSettledConflictIsAnEventOfTheSupervisor() throws {
        var world = World()
        var anna = world.author("anna")
        var bo = world.author("bo")
        var dorte = world.author("dorte")
        try Self.newCase(&world, &anna)
        let caseID = try #require(world.caseID)
        // Both change the title from the same value, neither seeing the other.
        let seen = try #require(world.states[caseID])
        let mine = try anna.set(Case.Field.title, to: "Familien Holm-Berg", on: seen)
        let theirs = try bo.set(Case.Field.title, to: "Familien Holm (Emil)", on: seen)
        world.store([mine, theirs])
        let conflict = try #require(world.states[caseID]?.conflicts().first { $0.isOpen })
        try world.write(&dorte) { author, states in
            [Self.apply(try author.resolve(conflict, with: "Familien Holm-Berg", reason: "Far bor der nu"), &states)]
        }
        let events = try world.timeline().events
        #expect(events.map { "\($0.kind.rawValue) \($0.subject ?? "-") \($0.author)" } == [
            "conflictSettled title dorte", "caseCreated - anna",
        ])
    }

    @Test func aNoteWithoutTitleAndADeletedParticipantAreStillTold() throws {
        var world = World()
        var anna = world.author("anna")
        try Self.newCase(&world, &anna)
        let caseID = try #require(world.caseID)
        var random = world.random
        var participant: EntityID?
        try world.write(&anna) { author, states in
            let created = Self.apply(author.create(EntityType.participant, inCase: caseID, using: &random), &states)
            participant = created.entity
            return [created, Self.apply(try author.set(Participant.Field.name, to: "Skolen", on: states[created.entity]!), &states)]
        }
        try world.write(&anna) { author, states in
            [Self.apply(author.create(EntityType.note, inCase: caseID, using: &random), &states)]
        }
        let removed = try #require(participant)
        try world.write(&anna) { author, states in [Self.apply(author.delete(states[removed]!), &states)] }
        let events = try world.timeline().events
        #expect(events.map { "\($0.kind.rawValue) \($0.subject ?? "-")" } == [
            "participantRemoved Skolen", "noteWritten -", "participantAdded Skolen", "caseCreated -",
        ])
    }
}

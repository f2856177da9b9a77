import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

/// The write rules as a whitelist: every operation kind × every entity type
/// (an unknown one included) × every role × member or not, each cell's
/// outcome written out from Protocol.md §5 and §10.3, not derived from the code.
@Suite struct WriteRulesTests {
    @Test(arguments: UserRole.allCases, [true, false])
    func everyKindOnEveryTypeForEveryRole(role: UserRole, member: Bool) throws {
        let name = role == .caseworker ? (member ? "bo" : "carla") : role.rawValue
        for (kind, type) in WriteRulesFixture.cells {
            var fixture = try WriteRulesFixture.Fixture()
            if member {
                var dorte = OperationAuthor(replica: ReplicaID(using: &fixture.random), user: UserID("dorte")!, wallClock: ManualWallClock(milliseconds: 1_795_000_100_000))
                try fixture.apply([try dorte.add(.string(name), to: Case.Field.members, on: fixture.state.entity(fixture.caseID)!)])
            }
            var author = OperationAuthor(replica: ReplicaID(using: &fixture.random), user: UserID(name)!, wallClock: ManualWallClock(milliseconds: 1_795_000_200_000))
            author.observe(fixture.state.entities.values.flatMap(\.orderedOperations))
            let operation = try fixture.operation(kind, on: type, by: &author)
            let members = CaseMembership.members(of: fixture.state.entity(fixture.caseID)!)
            let writer = WriteRules.Writer(user: author.user, role: role) { _ in role.seesEveryCase || members.contains(name) }
            var refusal: WriteRefusal?
            do { try WriteRules.check([operation], by: writer, holding: fixture.held) } catch let error as WriteRefusal { refusal = error }
            #expect(refusal?.code == WriteRulesFixture.expected(kind: kind, type: type, role: role, member: member),
                    "\(role) \(member ? "member" : "non-member"): \(kind) on \(type): \(refusal?.description ?? "accepted")")
        }
    }

    @Test func anEntityIsCreatedOnceAndInItsOwnCase() throws {
        var fixture = try WriteRulesFixture.Fixture()
        var dorte = OperationAuthor(replica: ReplicaID(using: &fixture.random), user: UserID("dorte")!, wallClock: ManualWallClock(milliseconds: 1_795_000_100_000))
        let writer = WriteRules.Writer(user: dorte.user, role: .supervisor) { _ in true }
        for type in [EntityType.caseFile, EntityType.note] {
            // A second create of a held entity, stamped earlier than the first:
            // it would otherwise become the creation and change type and creator.
            let template = dorte.delete(fixture.state.entity(fixture.entities[type]!)!)
            let recreate = Operation(
                id: OperationID(timestamp: HLCTimestamp(milliseconds: HLCTimestamp.earliestMilliseconds, counter: 0), replica: template.replica),
                seq: template.seq, author: template.author, caseID: template.caseID, entity: template.entity,
                change: .create(entityType: type == EntityType.caseFile ? EntityType.note : EntityType.caseFile))
            #expect(throws: WriteRefusal.self) { try WriteRules.check([recreate], by: writer, holding: fixture.held) }
            do { try WriteRules.check([recreate], by: writer, holding: fixture.held) } catch let error as WriteRefusal {
                #expect(error.code == "entity-exists", "\(error)")
            }
        }
        // A note that claims to be its own case, and a case that claims another case.
        let note = dorte.create(EntityType.note, inCase: nil, using: &fixture.random)
        #expect(throws: WriteRefusal.self) { try WriteRules.check([note], by: writer, holding: fixture.held) }
        // An operation on an entity nobody created.
        let orphan = Operation(id: note.id, seq: note.seq, author: note.author, caseID: fixture.caseID,
                               entity: EntityID(using: &fixture.random), change: .set(field: Note.Field.body, value: "x", predecessors: []))
        do { try WriteRules.check([orphan], by: writer, holding: fixture.held); Issue.record("orphan accepted") } catch let error as WriteRefusal {
            #expect(error.code == "unknown-entity")
        }
    }

    @Test func valuesMustHaveTheFieldsForm() throws {
        var fixture = try WriteRulesFixture.Fixture()
        var dorte = OperationAuthor(replica: ReplicaID(using: &fixture.random), user: UserID("dorte")!, wallClock: ManualWallClock(milliseconds: 1_795_000_100_000))
        let writer = WriteRules.Writer(user: dorte.user, role: .supervisor) { _ in true }
        let note = fixture.state.entity(fixture.entities[EntityType.note]!)!
        let cases: [(String, JSONValue, Bool)] = [
            (Note.Field.date, "2026-12-06", true), (Note.Field.date, "next week", false), (Note.Field.date, .null, true),
            (Note.Field.childPresent, true, true), (Note.Field.childPresent, "yes", false),
            (Note.Field.body, "tekst med æøå", true), (Note.Field.body, .integer(3), false),
            (Note.Field.kind, "a-kind-of-a-later-version", true),
        ]
        for (field, value, accepted) in cases {
            let operation = try dorte.set(field, to: value, on: note)
            var refusal: WriteRefusal?
            do { try WriteRules.check([operation], by: writer, holding: fixture.held) } catch let error as WriteRefusal { refusal = error }
            #expect((refusal == nil) == accepted, "\(field) = \(value): \(refusal?.description ?? "accepted")")
            if !accepted { #expect(refusal?.code == "invalid-value" && refusal?.member == "value") }
        }
        let caseState = fixture.state.entity(fixture.caseID)!
        let badMember = try dorte.add("Not A User!", to: Case.Field.members, on: caseState)
        #expect(throws: WriteRefusal.self) { try WriteRules.check([badMember], by: writer, holding: fixture.held) }
        let finalizeUnknown = Operation(id: badMember.id, seq: badMember.seq, author: badMember.author, caseID: badMember.caseID,
                                        entity: note.id, change: .finalize(context: ["secretField": []]))
        do { try WriteRules.check([finalizeUnknown], by: writer, holding: fixture.held); Issue.record("accepted") } catch let error as WriteRefusal {
            #expect(error.code == "unknown-field" && error.member == "context.secretField")
        }
    }

    /// Protocol.md §5.1, §8: an operation a batch carries twice (a client that
    /// retries inside one batch) is one operation, checked once; a second,
    /// different `create` of the same entity in the batch is `entity-exists`.
    @Test func theSameCreateTwiceInABatchIsOneButASecondCreateIsRefused() throws {
        var fixture = try WriteRulesFixture.Fixture()
        var dorte = OperationAuthor(replica: ReplicaID(using: &fixture.random), user: UserID("dorte")!, wallClock: ManualWallClock(milliseconds: 1_795_000_100_000))
        let writer = WriteRules.Writer(user: dorte.user, role: .supervisor) { _ in true }
        let note = dorte.create(EntityType.note, inCase: fixture.caseID, using: &fixture.random)
        try WriteRules.check([note, note], by: writer, holding: fixture.held)
        let other = Operation(id: dorte.create(EntityType.note, inCase: fixture.caseID, using: &fixture.random).id, seq: note.seq + 1,
                              author: note.author, caseID: note.caseID, entity: note.entity,
                              change: .create(entityType: EntityType.participant))
        do { try WriteRules.check([note, other], by: writer, holding: fixture.held); Issue.record("second create accepted") } catch let error as WriteRefusal {
            #expect(error.code == "entity-exists" && error.index == 1)
        }
    }
}

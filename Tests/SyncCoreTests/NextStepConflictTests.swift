import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

/// Feedforward: one current next step per case. Two steps set without either
/// author seeing the other are a conflict over the case's `nextStep`; a step
/// set after seeing the previous one is not (Protocol.md §5, §6.4).
@Suite struct NextStepConflictTests {
    /// A laptop (or the supervisor's device) with its own merged state.
    struct Laptop {
        var state = ReplicaState()
        var author: OperationAuthor
        let clock: ManualWallClock

        init(_ user: String, random: inout SeededRandom) {
            clock = ManualWallClock()
            author = OperationAuthor(replica: ReplicaID(using: &random), user: UserID(user)!, wallClock: clock)
        }

        mutating func write(_ operations: [Operation]) {
            try! state.apply(operations)
        }

        mutating func receive(_ operations: [Operation]) {
            try! state.apply(operations)
            author.observe(operations)
        }

        func plan(_ caseID: EntityID) -> NextStepPlan {
            NextStepPlan(caseState: state.entity(caseID)!, entities: state.entities(inCase: caseID))
        }

        func nextStepConflicts(_ caseID: EntityID) -> [ConflictRecord] {
            state.conflicts(inCase: caseID).filter { $0.entity == caseID && $0.field == Case.Field.nextStep }
        }

        /// What `field next-step set` writes: changes the current step, or
        /// creates one and names it the case's current step.
        mutating func setNextStep(_ text: String, due: String, in caseID: EntityID, random: inout SeededRandom) -> [Operation] {
            let fields: [(String, JSONValue)] = [
                (NextStep.Field.text, .string(text)), (NextStep.Field.due, .string(due)),
                (NextStep.Field.status, .string(NextStep.Status.open.rawValue)),
            ]
            var operations: [Operation] = []
            if let current = plan(caseID).current {
                var step = state.entity(current.id)!
                for (field, value) in fields {
                    let operation = try! author.set(field, to: value, on: step)
                    step.apply(operation)
                    operations.append(operation)
                }
            } else {
                operations = try! author.createNextStep(fields, in: state.entity(caseID)!, using: &random)
            }
            write(operations)
            return operations
        }

        /// What `field next-step done` writes.
        mutating func markDone(in caseID: EntityID) -> [Operation] {
            guard let current = plan(caseID).current else { return [] }
            let operation = try! author.set(NextStep.Field.status, to: .string(NextStep.Status.done.rawValue), on: state.entity(current.id)!)
            write([operation])
            return [operation]
        }

        /// What a supervisor's resolution writes: keep one of the competing steps.
        mutating func resolve(_ conflict: ConflictRecord, keeping value: JSONValue) -> [Operation] {
            let operation = try! author.resolve(conflict, with: value, reason: "agreed with both caseworkers")
            write([operation])
            return [operation]
        }
    }

    /// Anna's laptop with a new case, and the operations that made it.
    static func newCase(random: inout SeededRandom) -> (Laptop, EntityID, [Operation]) {
        var anna = Laptop("anna", random: &random)
        let created = anna.author.create(EntityType.caseFile, inCase: nil, using: &random)
        anna.write([created])
        let title = try! anna.author.set(Case.Field.title, to: "Familien Holm", on: anna.state.entity(created.entity)!)
        anna.write([title])
        return (anna, created.entity, [created, title])
    }

    /// Protocol.md §5, the current next step, at its edges: a step whose
    /// `status` was never written is open; a step the case names that is done
    /// leaves the case with none (an older open step does not come back);
    /// `nextStep` set to `null` names none either.
    @Test func theCurrentStepIsTheNamedOpenOneAndNothingElse() throws {
        var random = SeededRandom(seed: 9)
        var (anna, caseID, _) = Self.newCase(random: &random)
        let first = try anna.author.createNextStep([(NextStep.Field.text, "Ring til skolen")], in: anna.state.entity(caseID)!, using: &random)
        anna.write(first)
        #expect(anna.plan(caseID).current?.id == first[0].entity, "no status written: open")
        let second = try anna.author.createNextStep([(NextStep.Field.text, "Hjemmebesøg")], in: anna.state.entity(caseID)!, using: &random)
        anna.write(second)
        #expect(anna.plan(caseID).current?.id == second[0].entity)
        _ = anna.markDone(in: caseID)
        #expect(anna.plan(caseID).current == nil, "the first step is open but no longer named")
        #expect(anna.plan(caseID).live.isEmpty)
        let third = try anna.author.createNextStep([(NextStep.Field.text, "Netværksmøde")], in: anna.state.entity(caseID)!, using: &random)
        anna.write(third)
        anna.write([try anna.author.set(Case.Field.nextStep, to: .null, on: anna.state.entity(caseID)!)])
        #expect(anna.plan(caseID).current == nil && anna.plan(caseID).isNamed)
    }

    @Test func twoStepsSetOfflineAreAConflictThatAResolutionSettles() throws {
        var random = SeededRandom(seed: 1)
        var (anna, caseID, setup) = Self.newCase(random: &random)
        var bo = Laptop("bo", random: &random)
        bo.receive(setup)
        let fromAnna = anna.setNextStep("Møde med skolen", due: "2026-12-01", in: caseID, random: &random)
        let fromBo = bo.setNextStep("Hjemmebesøg", due: "2026-12-03", in: caseID, random: &random)
        anna.receive(fromBo)
        bo.receive(fromAnna)

        for laptop in [anna, bo] {
            let plan = laptop.plan(caseID)
            #expect(plan.isInConflict)
            #expect(Set(plan.competing.map(\.text)) == ["Møde med skolen", "Hjemmebesøg"])
            #expect(plan.live.count == 2)
            let conflicts = laptop.nextStepConflicts(caseID)
            #expect(conflicts.count == 1 && conflicts[0].isOpen && conflicts[0].id == "\(caseID)/nextStep/concurrent-values")
        }
        #expect(anna.plan(caseID) == bo.plan(caseID))

        var dorte = Laptop("dorte", random: &random)
        dorte.receive(setup + fromAnna + fromBo)
        let conflict = dorte.nextStepConflicts(caseID)[0]
        let kept = conflict.values.first { value in
            dorte.plan(caseID).competing.first { $0.id.description == value.value.stringValue }?.text == "Hjemmebesøg"
        }!.value
        let resolution = dorte.resolve(conflict, keeping: kept)
        anna.receive(resolution)
        bo.receive(resolution)
        for laptop in [anna, bo, dorte] {
            let plan = laptop.plan(caseID)
            #expect(!plan.isInConflict)
            #expect(plan.current?.text == "Hjemmebesøg")
            #expect(plan.live.map(\.text) == ["Hjemmebesøg"], "the step not chosen is no longer in force")
            #expect(laptop.nextStepConflicts(caseID).allSatisfy { !$0.isOpen })
            #expect(laptop.nextStepConflicts(caseID).count == 1)
        }
    }

    @Test func aStepSetAfterSeeingThePreviousOneIsNoConflict() throws {
        var random = SeededRandom(seed: 2)
        var (anna, caseID, setup) = Self.newCase(random: &random)
        var bo = Laptop("bo", random: &random)
        bo.receive(setup)
        let first = anna.setNextStep("Møde med skolen", due: "2026-12-01", in: caseID, random: &random)
        bo.receive(first)
        // Bo changes the step he sees: no second step.
        let changed = bo.setNextStep("Møde med skolen og PPR", due: "2026-12-02", in: caseID, random: &random)
        anna.receive(changed)
        #expect(anna.plan(caseID).steps.count == 1)
        // Anna marks it done and sets the next one; Bo receives both.
        let done = anna.markDone(in: caseID) + anna.setNextStep("Opfølgning", due: "2026-12-10", in: caseID, random: &random)
        bo.receive(done)
        for laptop in [anna, bo] {
            let plan = laptop.plan(caseID)
            #expect(!plan.isInConflict)
            #expect(plan.current?.text == "Opfølgning")
            #expect(plan.steps.count == 2)
            #expect(plan.steps.first { $0.text == "Møde med skolen og PPR" }?.status == .done)
            #expect(laptop.nextStepConflicts(caseID).isEmpty)
        }
    }

    @Test func aCaseThatNeverNamedItsStepKeepsTheEarlierRule() throws {
        var random = SeededRandom(seed: 3)
        var (anna, caseID, _) = Self.newCase(random: &random)
        // Two steps as an earlier version wrote them: no `nextStep` on the case.
        for (text, due) in [("Senere", "2026-12-20"), ("Først", "2026-12-05")] {
            let created = anna.author.create(EntityType.nextStep, inCase: caseID, using: &random)
            anna.write([created])
            for (field, value) in [(NextStep.Field.text, text), (NextStep.Field.due, due), (NextStep.Field.status, "open")] {
                anna.write([try anna.author.set(field, to: .string(value), on: anna.state.entity(created.entity)!)])
            }
        }
        let plan = anna.plan(caseID)
        #expect(!plan.isNamed && !plan.isInConflict)
        #expect(plan.current?.text == "Først")
        #expect(plan.live.count == 2)
        // Setting the step changes the current one; after it is done, the new
        // one is named and is the only step in force.
        _ = anna.setNextStep("Først, flyttet", due: "2026-12-06", in: caseID, random: &random)
        #expect(anna.plan(caseID).steps.count == 2 && !anna.plan(caseID).isNamed)
        _ = anna.markDone(in: caseID)
        _ = anna.markDone(in: caseID)
        _ = anna.setNextStep("Ny plan", due: "2027-01-10", in: caseID, random: &random)
        #expect(anna.plan(caseID).isNamed)
        #expect(anna.plan(caseID).live.map(\.text) == ["Ny plan"])
    }

    @Test func theCasesNextStepMustNameANextStepOfTheSameCase() throws {
        var random = SeededRandom(seed: 4)
        var (anna, caseID, setup) = Self.newCase(random: &random)
        var held = HeldEntityIndex()
        held.record(setup)
        let note = anna.author.create(EntityType.note, inCase: caseID, using: &random)
        anna.write([note])
        held.record([note])
        let (_, otherCase, otherSetup) = Self.newCase(random: &random)
        held.record(otherSetup)
        let writer = WriteRules.Writer(user: anna.author.user, role: .caseworker) { _ in true }

        // The field client's batch: the step's creation, its fields, the case's nextStep.
        let batch = try anna.author.createNextStep([(NextStep.Field.text, "Møde")], in: anna.state.entity(caseID)!, using: &random)
        try WriteRules.check(batch, by: writer, holding: held)
        try WriteRules.checkForms(batch, holding: held)
        // Cut in two, as a push may be: the step is held by the time its naming arrives.
        held.record(batch.dropLast())
        try WriteRules.check([batch.last!], by: writer, holding: held)

        // A step not held at all may be one a restored server lost and its
        // laptop has yet to send again: the choice waits (unknown-entity).
        for (named, why, code) in [(note.entity, "a note", "invalid-value"), (otherCase, "another case", "invalid-value"),
                                   (EntityID(using: &random), "nothing held", "unknown-entity")] {
            let wrong = try anna.author.set(Case.Field.nextStep, to: .string(named.description), on: anna.state.entity(caseID)!)
            do {
                try WriteRules.check([wrong], by: writer, holding: held)
                Issue.record("a nextStep naming \(why) was accepted")
            } catch let refusal as WriteRefusal {
                #expect(refusal.code == code, "\(why): \(refusal)")
                #expect(refusal.path == "operations[0].value")
            }
        }
        let notAnID = try anna.author.set(Case.Field.nextStep, to: "Møde", on: anna.state.entity(caseID)!)
        #expect(throws: WriteRefusal.self) { try WriteRules.check([notAnID], by: writer, holding: held) }
        // A pulled page's values are not checked (§10.8): the rule is on the value.
        try WriteRules.checkForms([notAnID], holding: held, values: false)
        let cleared = try anna.author.set(Case.Field.nextStep, to: .null, on: anna.state.entity(caseID)!)
        try WriteRules.check([cleared], by: writer, holding: held)
    }

    // MARK: Generated histories

    /// A random history of next-step writes on one case by three caseworkers
    /// and a supervisor who resolves what she sees, with partial syncs in
    /// between. `sequential`: every writer has received everything written
    /// before writing (one caseworker at a time, each after pulling).
    static func simulate(seed: UInt64, steps: Int, sequential: Bool) -> (laptops: [Laptop], caseID: EntityID, written: [Operation]) {
        var random = SeededRandom(seed: seed)
        let (anna, caseID, setup) = newCase(random: &random)
        var written = setup
        var laptops = [anna]
        for user in ["bo", "carla", "dorte"] {
            var laptop = Laptop(user, random: &random)
            laptop.receive(written)
            laptops.append(laptop)
        }
        let supervisor = 3
        if random.chance(30) {
            // A step an earlier version wrote, which the case does not name.
            let created = laptops[0].author.create(EntityType.nextStep, inCase: caseID, using: &random)
            laptops[0].write([created])
            let text = try! laptops[0].author.set(NextStep.Field.text, to: "legacy", on: laptops[0].state.entity(created.entity)!)
            laptops[0].write([text])
            written += [created, text]
        }
        for step in 0..<steps {
            let index = Int.random(in: 0...supervisor, using: &random)
            laptops[index].clock.advance(by: UInt64.random(in: 1...60_000, using: &random))
            if sequential { laptops[index].receive(written) }
            let roll = Int.random(in: 0..<100, using: &random)
            var new: [Operation] = []
            if index == supervisor, roll < 40, let conflict = laptops[index].nextStepConflicts(caseID).first(where: \.isOpen) {
                new = laptops[index].resolve(conflict, keeping: conflict.values.randomElement(using: &random)!.value)
                written += new
                continue
            }
            switch roll {
            case 0..<35:
                new = laptops[index].setNextStep("step \(step)", due: "2026-12-\(10 + step % 18)", in: caseID, random: &random)
            case 35..<55:
                new = laptops[index].markDone(in: caseID)
            default:
                guard !sequential else { continue }
                let source = Int.random(in: 0...supervisor, using: &random)
                var sent = laptops[source].state.entities.values.flatMap(\.orderedOperations)
                sent.shuffle(using: &random)
                if random.chance(40) { sent = Array(sent.prefix(sent.count / 2)) }
                laptops[index].receive(sent)
            }
            written += new
        }
        return (laptops, caseID, written)
    }

    /// Whatever the order and partition of delivery, every replica that holds
    /// the same next-step writes computes the same plan and the same conflict
    /// records; once the supervisor has resolved what she sees with
    /// everything in hand, every replica has one current next step.
    @Test(.shrinking(false))
    func concurrentHistoriesConvergeToOneConflictState() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var (laptops, caseID, written) = Self.simulate(seed: seed, steps: 40, sequential: false)
            var random = SeededRandom(seed: seed ^ 0x5EED)
            var orders: [ReplicaState] = []
            for _ in 0..<3 {
                var state = ReplicaState()
                var rest = written.shuffled(using: &random)[...]
                while !rest.isEmpty {
                    let size = Int.random(in: 1...max(1, rest.count / 2), using: &random)
                    try! state.apply(Array(rest.prefix(size)))
                    rest = rest.dropFirst(size)
                }
                orders.append(state)
            }
            for index in laptops.indices { laptops[index].receive(written) }
            let reference = laptops[0]
            func plan(_ state: ReplicaState) -> NextStepPlan {
                NextStepPlan(caseState: state.entity(caseID)!, entities: state.entities(inCase: caseID))
            }
            for state in orders + laptops.map(\.state) {
                #expect(plan(state) == reference.plan(caseID), "plans diverged; seed \(seed)")
                #expect(state.conflicts(inCase: caseID) == reference.state.conflicts(inCase: caseID), "conflicts diverged; seed \(seed)")
            }
            let conflicted = reference.plan(caseID).isInConflict
            #expect(conflicted == reference.nextStepConflicts(caseID).contains { $0.isOpen }, "plan and conflict record disagree; seed \(seed)")
            if !conflicted && reference.plan(caseID).isNamed {
                #expect(reference.plan(caseID).live.count <= 1, "two steps in force without a conflict; seed \(seed)")
            }

            // The supervisor settles, keeping an open step if one competes; everyone syncs.
            let supervisor = 3
            var settled: [Operation] = []
            var keptOpenStep: EntityID?
            if let conflict = laptops[supervisor].nextStepConflicts(caseID).first(where: \.isOpen) {
                keptOpenStep = laptops[supervisor].plan(caseID).competing.first { $0.status == .open }?.id
                let keep = keptOpenStep.map { JSONValue.string($0.description) } ?? conflict.values[0].value
                settled = laptops[supervisor].resolve(conflict, keeping: keep)
            }
            for index in laptops.indices { laptops[index].receive(settled) }
            let after = laptops[0].plan(caseID)
            for laptop in laptops {
                #expect(laptop.plan(caseID) == after, "plans diverged after the resolution; seed \(seed)")
                #expect(!laptop.nextStepConflicts(caseID).contains { $0.isOpen }, "conflict open after the resolution; seed \(seed)")
            }
            if after.isNamed {
                #expect(after.live.count <= 1, "more than one step in force after the resolution; seed \(seed)")
                if let keptOpenStep {
                    #expect(after.current?.id == keptOpenStep && after.live.count == 1, "the kept step is not the one current step; seed \(seed)")
                }
            }
        }
    }

    /// The generated histories do what the properties are about: many end
    /// in a conflict over the next step, and many hold a resolution made
    /// along the way; otherwise the properties above would hold vacuously.
    @Test func theGeneratedHistoriesHoldConflictsAndResolutions() {
        var conflicted = 0, resolvedOnTheWay = 0
        for seed in UInt64(0)..<100 {
            let (_, caseID, written) = Self.simulate(seed: seed, steps: 40, sequential: false)
            var state = ReplicaState()
            try! state.apply(written)
            if NextStepPlan(caseState: state.entity(caseID)!, entities: state.entities(inCase: caseID)).isInConflict { conflicted += 1 }
            if written.contains(where: { if case .resolve = $0.change { true } else { false } }) { resolvedOnTheWay += 1 }
        }
        #expect(conflicted >= 20, "\(conflicted) of 100 histories end in a conflict")
        #expect(resolvedOnTheWay >= 20, "\(resolvedOnTheWay) of 100 histories hold a resolution")
    }

    /// One writer at a time, each after receiving everything before: never a conflict.
    @Test(.shrinking(false))
    func sequentialHistoriesNeverConflict() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            let (laptops, caseID, written) = Self.simulate(seed: seed, steps: 40, sequential: true)
            var state = ReplicaState()
            try! state.apply(written)
            let plan = NextStepPlan(caseState: state.entity(caseID)!, entities: state.entities(inCase: caseID))
            #expect(!plan.isInConflict, "seed \(seed)")
            #expect(state.conflicts(inCase: caseID).isEmpty, "seed \(seed)")
            if plan.isNamed { #expect(plan.live.count <= 1, "seed \(seed)") }
            _ = laptops
        }
    }
}

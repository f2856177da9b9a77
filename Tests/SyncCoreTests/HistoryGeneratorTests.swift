import SyncCore
import SyncTestSupport
import Testing

/// The convergence property is only as strong as the histories it is checked
/// on: make sure they contain every situation the merge rules speak about.
@Suite struct HistoryGeneratorTests {
    @Test func historiesExerciseEveryMergeRule() throws {
        var counts: [String: Int] = [:]
        for seed in UInt64(0)..<200 {
            let history = HistoryGenerator.generate(seed: seed, steps: 60)
            var state = ReplicaState()
            try state.apply(history.operations)
            for entity in state.entities.values {
                let conflicts = entity.conflicts()
                counts["open concurrent values", default: 0] += conflicts.filter { $0.isOpen && $0.kind == .concurrentValues }.count
                counts["open edit after finalization", default: 0] += conflicts.filter { $0.isOpen && $0.kind == .editAfterFinalization }.count
                counts["resolved", default: 0] += conflicts.filter { !$0.isOpen }.count
                counts["addenda", default: 0] += entity.addenda().count
                counts["finalized", default: 0] += entity.isFinalized ? 1 : 0
                counts["deleted", default: 0] += entity.isDeleted ? 1 : 0
                counts["unknown type", default: 0] += entity.entityType == "meetingRecording" ? 1 : 0
                counts["unknown field", default: 0] += entity.value(of: "futureField") != nil ? 1 : 0
                counts["set elements", default: 0] += entity.elements(of: Note.Field.present).count
            }
            counts["removes", default: 0] += history.operations.filter { if case .remove = $0.change { true } else { false } }.count
            let skewed = history.operations.filter { $0.milliseconds > ManualWallClock.monday + 80_000_000 }
            counts["operations from the fast clock", default: 0] += skewed.count
        }
        for (situation, count) in counts.sorted(by: { $0.key < $1.key }) {
            #expect(count > 0, "no generated history has \(situation)")
        }
    }
}

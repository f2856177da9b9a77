import SyncCore

/// One thing that happened in a case, as a caseworker tells it: a note
/// written, a next step done, the case handed over. Not every operation:
/// a draft's autosaves and the fields a creation fills in are part of the
/// event they belong to.
public struct CaseEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case caseCreated, caseShared, caseUnshared, caseHandedOver, caseStatusChanged
        case noteWritten, noteFinalized, noteCorrected
        case nextStepSet, nextStepDone, nextStepCancelled
        case participantAdded, participantRemoved
        case conflictSettled

        /// Told with what its note, step or participant is called now.
        var isNamedByItsEntity: Bool {
            switch self {
            case .noteWritten, .noteFinalized, .noteCorrected, .nextStepSet, .nextStepDone, .nextStepCancelled,
                 .participantAdded, .participantRemoved: true
            default: false
            }
        }
    }

    public let kind: Kind
    /// The entity it happened to: the case, a note, a next step, a participant.
    public let entity: EntityID
    public let author: UserID
    public let device: ReplicaID
    public let milliseconds: UInt64
    /// What it names, as the case holds it now: the note's title, the step's
    /// text, the participant's name; the user shared with or handed over to;
    /// the case's new status; the field a conflict was settled on. Nil when
    /// there is none (an untitled note).
    public internal(set) var subject: String?
    let operation: OperationID
    let sequence: UInt64
}

/// The events of a case, newest first, built from the operations this laptop
/// holds of it alone.
public struct CaseTimeline: Sendable {
    /// Newest first, at most the limit asked for.
    public let events: [CaseEvent]
    /// Older events were left out.
    public let hasMore: Bool

    public init(caseState: EntityState, entities: [EntityState], limit: Int) {
        var all: [CaseEvent] = []
        // Every operation of the case by device and number: the operations
        // one write made are numbered one after the other.
        var numbered: Set<DeviceSequence> = []
        for entity in [caseState] + entities.filter({ $0.id != caseState.id }) {
            all += Self.events(of: entity)
            for operation in entity.operations.values { numbered.insert(DeviceSequence(device: operation.replica, sequence: operation.seq)) }
        }
        all.sort { $0.operation < $1.operation }
        func sameWrite(_ earlier: CaseEvent, _ later: CaseEvent) -> Bool {
            guard earlier.device == later.device, earlier.sequence < later.sequence,
                  later.sequence - earlier.sequence <= Self.longestWrite,
                  later.milliseconds >= earlier.milliseconds, later.milliseconds - earlier.milliseconds <= 1000 else { return false }
            return (earlier.sequence + 1..<later.sequence).allSatisfy { numbered.contains(DeviceSequence(device: later.device, sequence: $0)) }
        }
        // One write is one event: the fields a step was set with, the
        // corrections saved together; and the member a handover adds is
        // part of the handover.
        var kept: [CaseEvent] = []
        var lastOfKind: [KindOfEntity: CaseEvent] = [:]
        for event in all {
            let key = KindOfEntity(kind: event.kind, entity: event.entity)
            defer { lastOfKind[key] = event }
            if let last = lastOfKind[key], sameWrite(last, event) { continue }
            if event.kind == .caseHandedOver, let shared = kept.last, shared.kind == .caseShared, shared.subject == event.subject,
               sameWrite(shared, event) {
                kept.removeLast()
            }
            kept.append(event)
        }
        var shown = Array(kept.reversed().prefix(max(0, limit)))
        hasMore = kept.count > shown.count
        // What a note, a step or a participant is called now, looked up for
        // the events shown only: a finalized note's title is costly to read.
        let named = Set(shown.filter(\.kind.isNamedByItsEntity).map(\.entity))
        var names: [EntityID: String] = [:]
        for entity in entities where named.contains(entity.id) {
            names[entity.id] = Self.name(of: entity)
        }
        for index in shown.indices where shown[index].kind.isNamedByItsEntity {
            shown[index].subject = names[shown[index].entity]
        }
        events = shown
    }

    /// A note's title, a step's text, a participant's name; nil when blank.
    static func name(of entity: EntityState) -> String? {
        let field = switch entity.entityType {
        case EntityType.note?: Note.Field.title
        case EntityType.nextStep?: NextStep.Field.text
        case EntityType.participant?: Participant.Field.name
        default: ""
        }
        guard !field.isEmpty, let text = entity.value(of: field)?.stringValue, !BlankText.isBlank(text) else { return nil }
        return text
    }

    /// More operations than one write of the app makes (a note's fields
    /// and who was present): a longer run of numbers is separate writes.
    static let longestWrite: UInt64 = 64

    private struct KindOfEntity: Hashable {
        let kind: CaseEvent.Kind
        let entity: EntityID
    }

    private struct DeviceSequence: Hashable {
        let device: ReplicaID
        let sequence: UInt64
    }

    static func events(of entity: EntityState) -> [CaseEvent] {
        guard let type = entity.entityType else { return [] }
        func event(_ kind: CaseEvent.Kind, _ operation: SyncCore.Operation, _ subject: String?) -> CaseEvent {
            CaseEvent(kind: kind, entity: entity.id, author: operation.author, device: operation.replica,
                      milliseconds: operation.milliseconds, subject: subject, operation: operation.id, sequence: operation.seq)
        }
        let operations = entity.operations.values
        var found: [CaseEvent] = []
        for operation in operations {
            if case .resolve(let field, _, _, _) = operation.change {
                found.append(event(.conflictSettled, operation, field))
            }
        }
        switch type {
        case EntityType.caseFile:
            // The first status, primary caseworker and member are the creation's.
            let firstStatus = entity.history(of: Case.Field.status).first?.id
            let firstPrimary = entity.history(of: Case.Field.primaryCaseworker).first?.id
            let firstMember = entity.history(of: Case.Field.members).first?.id
            for operation in operations {
                switch operation.change {
                case .create:
                    found.append(event(.caseCreated, operation, nil))
                case .set(Case.Field.status, let value, _) where operation.id != firstStatus:
                    found.append(event(.caseStatusChanged, operation, value.stringValue))
                case .set(Case.Field.primaryCaseworker, let value, _) where operation.id != firstPrimary:
                    found.append(event(.caseHandedOver, operation, value.stringValue))
                case .add(Case.Field.members, let user) where operation.id != firstMember:
                    found.append(event(.caseShared, operation, user.stringValue))
                case .remove(Case.Field.members, let user, _):
                    found.append(event(.caseUnshared, operation, user.stringValue))
                default:
                    break
                }
            }
        case EntityType.note:
            // The earliest finalization: what came after it corrects the record.
            var finalization: OperationID?
            for operation in operations {
                if case .finalize = operation.change, finalization.map({ operation.id < $0 }) ?? true { finalization = operation.id }
            }
            for operation in operations {
                switch operation.change {
                case .create:
                    found.append(event(.noteWritten, operation, nil))
                case .finalize where operation.id == finalization:
                    found.append(event(.noteFinalized, operation, nil))
                case .set where finalization.map({ operation.id > $0 }) == true:
                    found.append(event(.noteCorrected, operation, nil))
                default:
                    break
                }
            }
        case EntityType.nextStep:
            let firstStatus = entity.history(of: NextStep.Field.status).first?.id
            for operation in operations {
                switch operation.change {
                case .create:
                    found.append(event(.nextStepSet, operation, nil))
                case .set(NextStep.Field.status, let value, _) where operation.id != firstStatus:
                    switch value.stringValue {
                    case NextStep.Status.done.rawValue?: found.append(event(.nextStepDone, operation, nil))
                    case NextStep.Status.cancelled.rawValue?: found.append(event(.nextStepCancelled, operation, nil))
                    default: break
                    }
                case .set(let field, _, _) where [NextStep.Field.text, NextStep.Field.due, NextStep.Field.responsible].contains(field):
                    found.append(event(.nextStepSet, operation, nil))
                default:
                    break
                }
            }
        case EntityType.participant:
            for operation in operations {
                switch operation.change {
                case .create: found.append(event(.participantAdded, operation, nil))
                case .delete: found.append(event(.participantRemoved, operation, nil))
                default: break
                }
            }
        default:
            break
        }
        return found
    }
}

extension CaseView {
    /// What happened in the case, newest first, at most `limit` events.
    public func timeline(limit: Int) -> CaseTimeline {
        CaseTimeline(caseState: caseState, entities: entities, limit: limit)
    }
}

/// What the replica checking a batch knows of the entities it already holds.
/// The server answers from its database, a laptop from its local replica, the
/// tests from a dictionary.
public protocol HeldEntities {
    /// The case a held entity belongs to, and its type (nil when its `create`
    /// is not held); nil when nothing of the entity is held.
    func entity(_ id: EntityID) throws -> (caseID: EntityID, type: String?)?
    /// The merged state of a held entity, for the rare rule that needs more
    /// than its type (a creator enrolling in their own case, below).
    func state(of id: EntityID) throws -> EntityState?
}

/// The write rules: a whitelist (Protocol.md §5 and §10.3). An operation is
/// accepted only if its entity type accepts its kind, its field is one of the
/// type's fields with the shape the kind needs and a value of the field's
/// form, and the writer's role may write that field; everything else is
/// refused, naming the operation and the member at fault.
///
/// Pure: the caller says what it holds (`HeldEntities`) and who writes.
public enum WriteRules {
    /// Who pushes a batch, and what the checking replica knows of their access.
    public struct Writer {
        public let user: UserID
        public let role: UserRole
        /// Whether the user may write an existing case (a member, or a role
        /// that sees every case).
        public let mayWrite: (EntityID) throws -> Bool

        public init(user: UserID, role: UserRole, mayWrite: @escaping (EntityID) throws -> Bool) {
            self.user = user
            self.role = role
            self.mayWrite = mayWrite
        }
    }

    /// Checks a batch pushed by `writer`, as the server does before storing
    /// any of it: the form of every operation (`checkForm`), then access to
    /// its case and the role rules for its field.
    ///
    /// A caseworker may change a case's `members` and `primaryCaseworker`
    /// only to enrol themselves (an `add` of their own name, a `set` to their
    /// own name), in the batch that creates the case or, if the batch that
    /// created it was cut before these, later while the field was never
    /// written and they are the case's creator: a case whose members were
    /// never written is its creator's already. So nothing a caseworker writes
    /// changes who may read an existing case.
    ///
    /// `acceptedBefore` names operations the server accepted once and proves
    /// it (its receipt's proof, Protocol.md §10.3), sent again after a restore
    /// from a backup: who wrote them was judged then, by the rules as they
    /// stood, and is not judged again (a handover since must not refuse a
    /// note written before it). Their form and their case still are.
    ///
    /// Throws `WriteRefusal`, or whatever `held` and `writer` throw when they
    /// cannot answer (a storage fault, not a refusal).
    public static func check(
        _ operations: [Operation], by writer: Writer, holding held: some HeldEntities,
        acceptedBefore: Set<OperationID> = []
    ) throws {
        var walk = BatchWalk(held: held)
        var access: [EntityID: Bool] = [:]
        var checked: [OperationID: Operation] = [:]
        for (index, operation) in operations.enumerated() {
            // The same operation again is one operation (§5.1): judged once.
            // Another with the same id is not skipped; the store refuses it
            // as a conflicting duplicate.
            if let earlier = checked.updateValue(operation, forKey: operation.id), earlier == operation { continue }
            let caseExists = try walk.caseExists(operation.caseID, index: index)
            let createsCase = !caseExists && walk.createsCase(operation.caseID, in: operations)
            let judgedBefore = acceptedBefore.contains(operation.id)
            if caseExists {
                let allowed: Bool
                if judgedBefore {
                    allowed = true
                } else if let known = access[operation.caseID] {
                    allowed = known
                } else {
                    allowed = try writer.mayWrite(operation.caseID)
                    access[operation.caseID] = allowed
                }
                guard allowed else {
                    throw WriteRefusal(.notAMember, index: index, member: "case",
                                       detail: "\(writer.user) is not a member of case \(operation.caseID)")
                }
            } else if !createsCase {
                throw WriteRefusal(.unknownCase, index: index, member: "case",
                                   detail: "case \(operation.caseID) does not exist and this batch does not create it")
            }
            let (type, field) = try walk.checkForm(operation, index: index)
            if judgedBefore { continue }
            if field?.writers == .membershipManagers, !writer.role.mayChangeMembership {
                let enrolsSelf: Bool = switch operation.change {
                case .add(_, .string(let user)), .set(_, .string(let user), _): user == writer.user.name
                default: false
                }
                let mayEnrol = try enrolsSelf && type == EntityType.caseFile
                    && (createsCase || isCreatorsFirstWrite(of: operation.field!, in: operation.caseID, by: writer.user, held: held))
                guard mayEnrol else {
                    throw WriteRefusal(.membershipChangeNotAllowed, index: index, member: "field",
                                       detail: "only supervisors and admins change who works on a case")
                }
            }
            if case .resolve = operation.change, !writer.role.mayResolveConflicts {
                throw WriteRefusal(.resolutionNotAllowed, index: index, member: "kind",
                                   detail: "only supervisors and admins resolve conflicts")
            }
        }
    }

    /// Whether `user` created the held case and its `field` was never written.
    static func isCreatorsFirstWrite(of field: String, in caseID: EntityID, by user: UserID, held: some HeldEntities) throws -> Bool {
        guard let state = try held.state(of: caseID) else { return false }
        return state.creationOperation?.author == user && state.history(of: field).isEmpty
    }

    /// Checks the form of every operation of a batch against the schema,
    /// without regard to who wrote it: what a laptop checks of what it writes
    /// and of a pulled page (the server, which alone knows the authors'
    /// roles, checked those). `values: false` leaves the values' forms out:
    /// a pulled page may hold a value an earlier version let in (a
    /// resolution's text on a boolean field), which must not stop every new
    /// laptop's first sync; the types, kinds and fields that decide what an
    /// operation does are checked all the same.
    public static func checkForms(_ operations: [Operation], holding held: some HeldEntities, values: Bool = true) throws {
        var walk = BatchWalk(held: held)
        for (index, operation) in operations.enumerated() {
            _ = try walk.checkForm(operation, index: index, values: values)
        }
    }

    /// The schema's rule for one operation, given the entity's type (from its
    /// `create`, held or earlier in the batch). Returns the field's rule for
    /// field-level kinds.
    static func checkForm(
        _ operation: Operation, entityType: String?, index: Int, values: Bool = true
    ) throws(WriteRefusal) -> CaseworkSchema.Field? {
        let kind = operation.kindName
        if case .create(let type) = operation.change {
            guard let rule = CaseworkSchema.entities[type] else {
                throw WriteRefusal(.unknownEntityType, index: index, member: "entityType",
                                   detail: "entity type '\(type)' is not one of \(CaseworkSchema.entities.keys.sorted().joined(separator: ", "))")
            }
            guard rule.kinds.contains(kind) else {
                throw WriteRefusal(.kindNotAllowed, index: index, member: "kind", detail: "a \(type) is not created by operations")
            }
            // A case is its own case; nothing else is.
            guard (type == EntityType.caseFile) == (operation.entity == operation.caseID) else {
                throw WriteRefusal(.caseMismatch, index: index, member: "case", detail: type == EntityType.caseFile
                    ? "a case's entity is the case itself: entity \(operation.entity), case \(operation.caseID)"
                    : "a \(type) belongs to a case, not to itself")
            }
            return nil
        }
        guard let type = entityType else {
            throw WriteRefusal(.unknownEntity, index: index, member: "entity",
                               detail: "entity \(operation.entity) does not exist and this batch does not create it")
        }
        guard let rule = CaseworkSchema.entities[type] else {
            throw WriteRefusal(.unknownEntityType, index: index, member: "entity",
                               detail: "entity \(operation.entity) is of type '\(type)', which is not accepted")
        }
        guard rule.kinds.contains(kind) else {
            throw WriteRefusal(.kindNotAllowed, index: index, member: "kind",
                               detail: "a \(type) accepts \(rule.kinds.sorted().joined(separator: ", ")), not \(kind)")
        }
        switch operation.change {
        case .create, .delete:
            return nil
        case .finalize(let context):
            for field in context.keys.sorted() where rule.fields[field] == nil {
                throw WriteRefusal(.unknownField, index: index, member: "context.\(field)",
                                   detail: "a \(type) has no field '\(field)'")
            }
            return nil
        case .set(let field, let value, _), .resolve(let field, let value, _, _),
             .add(let field, let value), .remove(let field, let value, _):
            guard let fieldRule = rule.fields[field] else {
                throw WriteRefusal(.unknownField, index: index, member: "field",
                                   detail: "a \(type) has no field '\(field)'; its fields are \(rule.fields.keys.sorted().joined(separator: ", "))")
            }
            let shapeFits: Bool = switch (operation.change, fieldRule.shape) {
            case (.set, .single), (.add, .set), (.remove, .set): true
            // A resolution settles concurrent values of a single-valued
            // field, or late additions to a finalized note's set (§7).
            case (.resolve, _): true
            default: false
            }
            guard shapeFits else {
                throw WriteRefusal(.kindNotAllowed, index: index, member: "kind", detail: fieldRule.shape == .single
                    ? "\(type).\(field) is single-valued: write it with set"
                    : "\(type).\(field) is a set: write it with add and remove")
            }
            let member = switch operation.change {
            case .add, .remove: "element"
            default: "value"
            }
            guard !values || (fieldRule.form.accepts(value) && !(member == "element" && value == .null)) else {
                throw WriteRefusal(.invalidValue, index: index, member: member,
                                   detail: "\(type).\(field) takes a \(fieldRule.form.rawValue)")
            }
            return fieldRule
        }
    }
}

/// One pass over a batch: the types of entities the batch creates, on top of
/// what the replica holds.
private struct BatchWalk<Held: HeldEntities> {
    typealias Entry = (caseID: EntityID, type: String?)
    let held: Held
    /// What the replica held before the batch, as looked up (nil: not held).
    var heldCache: [EntityID: Entry?] = [:]
    /// What the batch creates, as far as the walk has come.
    var created: [EntityID: Entry] = [:]

    init(held: Held) {
        self.held = held
    }

    mutating func heldEntry(_ id: EntityID, index: Int) throws -> Entry? {
        if let cached = heldCache[id] { return cached }
        let found = try held.entity(id)
        heldCache.updateValue(found, forKey: id)
        return found
    }

    /// Whether the case existed before this batch.
    mutating func caseExists(_ caseID: EntityID, index: Int) throws -> Bool {
        try heldEntry(caseID, index: index) != nil
    }

    func createsCase(_ caseID: EntityID, in operations: [Operation]) -> Bool {
        operations.contains { $0.entity == caseID && $0.caseID == caseID && $0.change == .create(entityType: EntityType.caseFile) }
    }

    /// A case's `nextStep` names a next step of the same case, held or created
    /// earlier in the batch (the field client writes it right after the
    /// step's creation, and a push cut in two keeps that order), or is `null`.
    mutating func checkNamesNextStep(_ operation: Operation, index: Int) throws {
        let value: JSONValue? = switch operation.change {
        case .set(_, let value, _), .resolve(_, let value, _, _): value
        default: nil
        }
        guard let text = value?.stringValue, let id = EntityID(text) else { return }
        let entry: Entry? = if let inBatch = created[id] { inBatch } else { try heldEntry(id, index: index) }
        // Not held at all: a step the server lost in a restore, which the
        // laptop that created it has yet to send again. The choice waits for
        // it (a refusal that waits, Protocol.md §10.8), it is not wrong.
        guard let entry else {
            throw WriteRefusal(.unknownEntity, index: index, member: "value",
                               detail: "\(operation.field ?? "the field") names \(id), a next step this replica does not hold (yet)")
        }
        guard entry.type == EntityType.nextStep, entry.caseID == operation.caseID else {
            throw WriteRefusal(.invalidValue, index: index, member: "value",
                               detail: "\(operation.field ?? "the field") names \(id), which is not a next step of case \(operation.caseID)")
        }
    }

    /// Checks one operation and records what a `create` brings into being.
    mutating func checkForm(_ operation: Operation, index: Int, values: Bool = true) throws -> (type: String?, field: CaseworkSchema.Field?) {
        let entry: Entry?
        if let inBatch = created[operation.entity] { entry = inBatch } else { entry = try heldEntry(operation.entity, index: index) }
        if let entry, entry.caseID != operation.caseID {
            throw WriteRefusal(.caseMismatch, index: index, member: "case",
                               detail: "entity \(operation.entity) belongs to case \(entry.caseID), not \(operation.caseID)")
        }
        if case .create = operation.change, entry?.type != nil {
            throw WriteRefusal(.entityExists, index: index, member: "entity",
                               detail: "entity \(operation.entity) exists already: an entity is created once")
        }
        let field = try WriteRules.checkForm(operation, entityType: entry?.type, index: index, values: values)
        if values, field?.form == .nextStepID { try checkNamesNextStep(operation, index: index) }
        if case .create(let type) = operation.change {
            created[operation.entity] = (operation.caseID, type)
            return (type, field)
        }
        return (entry?.type, field)
    }
}

import Foundation
import SyncCore
import SyncPersistence
import SyncTestSupport

/// A field laptop signed in as one user: writes operations under the replica id
/// the server gave it, with sequence numbers 1, 2, 3, ..., and keeps its pull cursor.
struct SimulatedDevice: Sendable {
    let user: UserID
    let token: String
    var author: OperationAuthor
    var random: SeededRandom
    var cursor: String?
    private var batches = 0

    init(user: UserID, token: String, replica: ReplicaID, seed: UInt64) {
        self.user = user
        self.token = token
        author = OperationAuthor(replica: replica, user: user, wallClock: SystemWallClock())
        random = SeededRandom(seed: seed)
    }

    /// A new case with this user as member and primary caseworker, in one batch,
    /// as the field client writes it (Protocol.md §10.5).
    mutating func newCase(title: String) -> [SyncCore.Operation] {
        let created = author.create(EntityType.caseFile, inCase: nil, using: &random)
        var state = EntityState(id: created.entity)
        _ = state.apply(created)
        let name = JSONValue.string(user.name)
        var operations = [created]
        func write(_ operation: SyncCore.Operation) {
            _ = state.apply(operation)
            operations.append(operation)
        }
        write(try! author.set(Case.Field.title, to: .string(title), on: state))
        write(try! author.add(name, to: Case.Field.members, on: state))
        write(try! author.set(Case.Field.primaryCaseworker, to: name, on: state))
        return operations
    }

    /// A new note in `caseID` and a first value for each of `fields`.
    mutating func newNote(in caseID: EntityID, fields: [(String, JSONValue)]) -> [SyncCore.Operation] {
        let created = author.create(EntityType.note, inCase: caseID, using: &random)
        var state = EntityState(id: created.entity)
        _ = state.apply(created)
        var operations = [created]
        operations.reserveCapacity(fields.count + 1)
        for (field, value) in fields {
            let operation = try! author.set(field, to: value, on: state)
            _ = state.apply(operation)
            operations.append(operation)
        }
        return operations
    }

    /// The body of POST /v1/push, with a batch id unique on this device.
    mutating func pushBody(_ operations: [SyncCore.Operation]) -> Data {
        batches += 1
        return PushBatch(batch: "\(author.replica)-\(batches)", operations: operations).encoded()
    }
}

/// Note contents of typical sizes, derived from a seed.
enum NoteText {
    static let words = [
        "hjemmebesøg", "mor", "far", "barnet", "skolen", "lærer", "aftale", "netværksmøde", "sundhedsplejerske",
        "trivsel", "fritid", "søvn", "måltider", "venner", "klassen", "opfølgning", "bekymring", "samtale", "ønsker",
        "støtte", "familien", "plan", "næste", "uge", "fortalte", "at", "og", "i", "om", "med", "der", "blev", "talt",
        "the", "child", "said", "wants", "to", "stay", "home", "visit", "meeting", "agreed", "school", "weekend",
    ]
    static let kinds = Note.Kind.known.map(\.rawValue)

    /// About `bytes` bytes of text in paragraphs (UTF-8: æ, ø, å), with line breaks and quotes to escape.
    static func body(bytes: Int, using random: inout SeededRandom) -> String {
        var text = ""
        text.reserveCapacity(bytes + 32)
        var sentence = 0
        while text.utf8.count < bytes {
            let count = Int.random(in: 6...16, using: &random)
            for index in 0..<count {
                if index > 0 { text += " " }
                text += words[Int.random(in: 0..<words.count, using: &random)]
            }
            sentence += 1
            text += sentence % 7 == 0 ? ".\n\n" : (sentence % 11 == 0 ? " \"citat\". " : ". ")
        }
        return text
    }

    static func title(_ serial: Int, using random: inout SeededRandom) -> String {
        "\(kinds[Int.random(in: 0..<kinds.count, using: &random)]) \(serial): "
            + words[Int.random(in: 0..<words.count, using: &random)] + " " + words[Int.random(in: 0..<words.count, using: &random)]
    }

    static func date(using random: inout SeededRandom) -> String {
        let month = Int.random(in: 1...12, using: &random)
        let day = Int.random(in: 1...28, using: &random)
        return "2026-" + (month < 10 ? "0" : "") + String(month) + "-" + (day < 10 ? "0" : "") + String(day)
    }

    /// kind, title, date and a body of `bodyBytes` bytes: with the create, a note of five operations.
    static func fields(_ serial: Int, bodyBytes: Int, using random: inout SeededRandom) -> [(String, JSONValue)] {
        [
            (Note.Field.kind, .string(kinds[Int.random(in: 0..<kinds.count, using: &random)])),
            (Note.Field.title, .string(title(serial, using: &random))),
            (Note.Field.date, .string(date(using: &random))),
            (Note.Field.body, .string(body(bytes: bodyBytes, using: &random))),
        ]
    }
}

import SyncCore

/// Everything that can go wrong for a caseworker at the laptop, each with one
/// line that says what to do.
public enum FieldError: Error, CustomStringConvertible, Equatable {
    case notSetUp(String)
    case notLoggedIn
    case wrongPassphrase
    case noPassphrase
    case insecureKeyFile(String)
    case unknownID(String)
    case notACase(String)
    case notANote(String)
    case invalidArgument(String)
    case serverUnreachable(String)
    case untrustedServer(String)
    case serverRefused(status: Int, code: String, detail: String)
    /// `503 storage-full`: the server's disk is full. Not a refusal of the
    /// changes, and not over in seconds: the sync stops at once.
    case serverStorageFull
    case purged(String)
    case finalized(String)
    case refusedOperation(String)
    /// The computer's clock reads a time no change may carry (before 2020 or
    /// from 2100 on): nothing is written until it is set right.
    case wrongClock(milliseconds: UInt64)
    /// The server refused changes stamped too far ahead of its clock
    /// (`409 clock-ahead`); `field sync` re-dates them and pushes again.
    case clockAhead(serverTime: UInt64, operations: [OperationID], detail: String)
    case changesWaiting(cases: Int)
    case signInUnknown(String)
    /// Someone named as present at a contact who is not a participant of the note's case.
    case notAParticipant(String, caseID: String)
    case unknownParticipant(String)
    case noOpenNextStep
    /// Membership and resolutions are for supervisors and admins.
    case supervisorsOnly
    case notAUserName(String)
    /// A correction is for a finalized note; a draft is changed as it is.
    case notFinalized(String)
    case participantAge(Int)
    /// A citizen reference that holds a full CPR number.
    case citizenReferenceIsCPR
    /// A conflict settled by one of its values, numbered from 1, that it does not have.
    case noSuchValue(pick: Int, count: Int)
    /// Competing next steps are settled by keeping one: a merged value of two steps means nothing.
    case mergedNextStep
    /// The conflict gained or lost a value since the decider saw it.
    case conflictChanged(String)
    /// Keeping a note as finalized settles only a change made after it.
    case notALateChange(String)
    /// A list, or a field finalized with two values: settled by picking.
    case cannotKeepAsFinalized(String)
    /// A merged value that is not of the field's form.
    case mergedValueForm(field: String, form: String)

    public var description: String {
        switch self {
        case .notSetUp(let path): "no local data at \(path); sign in first with: field login --server URL --user NAME"
        case .notLoggedIn: "this laptop is not signed in; sign in with: field login --server URL --user NAME"
        case .wrongPassphrase: "wrong passphrase: the local data was not opened and nothing was changed"
        case .noPassphrase: "the local data is encrypted: set FIELD_PASSPHRASE, use a key file (FIELD_KEY_FILE), or run on a terminal to be asked"
        case .insecureKeyFile(let path): "the key file \(path) must be a regular file readable only by you (chmod 600)"
        case .unknownID(let id): "no case, note or conflict \(id) on this laptop; see field case list"
        case .notACase(let id): "\(id) is not a case; see field case list"
        case .notANote(let id): "\(id) is not a note; see field note list CASE"
        case .invalidArgument(let detail): detail
        case .serverUnreachable(let detail): "the sync server could not be reached (\(detail)); your changes are kept on this laptop, try field sync again later"
        case .untrustedServer(let server): "the certificate of \(server) is not trusted, so nothing was sent; if your municipality runs its own CA, give its certificate with --ca-file (or FIELD_CA_FILE) at field login"
        case .serverRefused(let status, let code, let detail): "the sync server refused (\(status) \(code)): \(detail)"
        case .serverStorageFull: "the sync server cannot store changes right now: its disk is full. Your changes are kept on this laptop; try field sync again later, or ask your office's IT"
        case .purged(let reason): "\(reason); all case data on this laptop has been deleted"
        case .finalized(let id): "note \(id) is finalized and cannot be changed; record a correction beside it with field note correct"
        case .refusedOperation(let detail): "an operation breaks the write rules and was not stored: \(detail)"
        case .wrongClock(let milliseconds):
            "this computer's clock is wrong: it says \(ClockText.time(milliseconds)), so nothing was changed; set the correct date and time (for example turn on automatic date and time) and try again"
        case .clockAhead(_, _, let detail):
            "the sync server refused changes dated ahead of its clock (\(detail)); set this computer's date and time correctly (for example turn on automatic date and time) and run field sync again"
        case .signInUnknown(let detail): "the server does not know this laptop's sign-in (\(detail)); if it was restored from a backup, sign in again with field login: your changes stay on this laptop and go at the next sync"
        case .notAParticipant(let text, let caseID):
            "--participant \(text) is not a participant of case \(caseID); see field participant list"
        case .unknownParticipant(let id): "\(id) is not a participant; see field participant list CASE"
        case .noOpenNextStep: "the case has no open next step"
        case .supervisorsOnly: "only supervisors and admins may do this; ask your team leader"
        case .notAUserName(let user): "'\(user)' is not a user name"
        case .notFinalized(let id): "note \(id) is a draft: change it with field note edit; corrections are for finalized notes"
        case .participantAge: "--age must be from 0 to 120"
        case .citizenReferenceIsCPR:
            "--citizen must be the municipality's reference for the citizen (such as 0101-A), not a CPR number: a CPR number on the laptop identifies the child to anyone who finds it"
        case .noSuchValue(_, let count): "--pick must be from 1 to \(count)"
        case .cannotKeepAsFinalized(let id): "the note of conflict \(id) was finalized with more than one value of the field, or it is a list: pick the value that holds with --pick N"
        case .notALateChange(let id): "conflict \(id) is between values written at the same time, not a change to a finalized note: pick a value with --pick N"
        case .conflictChanged(let id): "conflict \(id) changed since it was shown (a sync brought another value); look at it again with field conflicts"
        case .mergedNextStep: "competing next steps are settled by keeping one of them: use --pick N, as field conflicts lists them"
        case .mergedValueForm(let field, let form):
            "the value of \(field) must be a \(form) written as JSON, such as \"2026-12-01\", true or 12"
        case .changesWaiting(let cases): "the changes to \(cases == 1 ? "1 case" : "\(cases) cases") are kept on this laptop and were not sent yet: see above; everything else was synced"
        }
    }
}

extension FieldError {
    /// A failure that a later attempt may not meet: the network, or a server
    /// that said it is busy and to come back.
    var isWorthRetrying: Bool {
        switch self {
        case .serverUnreachable: true
        case .serverRefused(503, "server-busy", _): true
        default: false
        }
    }
}

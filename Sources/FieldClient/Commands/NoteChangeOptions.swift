import ArgumentParser
import FieldKit
import SyncCore

/// What `field note edit` and `field note correct` may change, read the same
/// way by both: the one changes a draft, the other records corrections beside
/// a finalized note.
struct NoteChangeOptions: ParsableArguments {
    @Option(help: "The title as it should read.")
    var title: String?
    @Option(help: "The date of the contact as it should read, YYYY-MM-DD.")
    var date: String?
    @Option(help: "A file holding the body as it should read (or give it on standard input).")
    var bodyFile: String?
    @OptionGroup var content: NoteCommand.ContentOptions

    /// The laptop's data, opened, and the changes given, with participants
    /// resolved in it; throws `invalidArgument` naming `what` ("change",
    /// "correct") when none is given, before the data is opened.
    func changes(_ what: String, opening laptop: LaptopOptions) async throws -> (FieldSession, NoteChanges) {
        let date = try NoteCommand.validDate(date)
        let body = try NoteCommand.readBody(file: bodyFile, required: false)
        guard title != nil || date != nil || body != nil || !content.isEmpty else {
            throw FieldError.invalidArgument(
                "nothing to \(what): give --title, --date, --body-file, a body on standard input, or another field (see --help)")
        }
        let session = try laptop.open()
        return (session, NoteChanges(
            title: title, date: date, place: content.place, body: body, familyView: content.familyView,
            childView: content.childView, agreements: content.agreements, childPresent: content.childPresent,
            addPresent: try await content.present(in: session)))
    }
}

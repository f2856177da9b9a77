import ArgumentParser

@main
struct FieldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "field",
        abstract: "Casework notes on a caseworker's laptop, offline first.",
        discussion: """
            `field` keeps your cases on this laptop so that notes from home visits and \
            network meetings can be written where there is no network, and syncs them with \
            the office sync server later. Every command but `login` and `sync` works offline. \
            Concurrent edits by colleagues are merged without losing anything; conflicts are \
            listed for review.

            Everything on the laptop is encrypted. The key comes from a key file \
            (--key-file or FIELD_KEY_FILE, readable only by you), else from FIELD_PASSPHRASE, \
            else you are asked for your passphrase; `field unlock` keeps the key in memory for \
            a working day so that you are asked once. Data lives under $XDG_DATA_HOME/field and \
            settings under $XDG_CONFIG_HOME/field, or both under --home / FIELD_HOME.

            A first session:
              field login --server https://sync.kommune.example --user mette
              field case new "Familien Holm" --citizen 0101-A
              field note add CASE --kind home-visit --title "Første besøg" --body-file notes.txt
              field sync

            Or open your cases in the browser, offline too: field app
            """,
        subcommands: [
            LoginCommand.self, LogoutCommand.self, UnlockCommand.self, LockCommand.self, StatusCommand.self, SyncCommand.self,
            CaseCommand.self, NoteCommand.self, ParticipantCommand.self, NextStepCommand.self, AgendaCommand.self,
            ConflictsCommand.self, AppCommand.self,
        ]
    )
}

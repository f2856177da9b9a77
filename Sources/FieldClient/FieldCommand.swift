import ArgumentParser

@main
struct FieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "field",
        abstract: "Casework notes on a caseworker's laptop, offline first.",
        discussion: """
            `field` keeps a caseworker's cases on the laptop so that notes from home visits \
            and network meetings can be written where there is no network, and syncs them \
            with the office sync server later. Concurrent edits by colleagues are merged \
            without losing anything; conflicts are listed for review.

            Status: this build has no commands yet. The commands planned, all but `login` \
            and `sync` working offline, are:

              login, logout        register this laptop with the sync server
              case                 new, list, show, assign (handover), share, unshare
              note                 add, edit, show, finalize, list
              participant          add, list
              next-step, agenda    the case's next step and deadline; all open steps by due date
              sync                 push local changes, pull colleagues' changes
              status               server, user, last sync, waiting changes, open conflicts
              conflicts            list open conflicts, resolve them

            Local data will live under $XDG_DATA_HOME/field (or --home / FIELD_HOME), \
            encrypted at rest.
            """
    )
}

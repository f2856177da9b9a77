import SyncCore

/// Foundation also declares an `Operation`; in this module the word means ours.
typealias Operation = SyncCore.Operation

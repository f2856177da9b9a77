import Foundation

/// What the administration commands (`user`, `device`) answer the
/// administrator, on standard output. The server itself says everything
/// through swift-log.
enum AdminOutput {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// Why a pull was refused; the router answers it as a problem document
/// (`Problem(mapping:)`).
enum PullRefusal: Error, Sendable, Equatable {
    /// The cursor is not one of the device's kept ones: it pulls from the start.
    case unknownCursor(String)
}

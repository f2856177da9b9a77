import Foundation
import SyncCore

/// How an operation's canonical bytes are kept in the `body` column. The
/// server keeps them as they are; the field client seals them, so that a copy
/// of a laptop's files reveals no case data.
public protocol OperationBodyCodec: Sendable {
    func seal(_ plaintext: Data, for id: OperationID) throws -> Data
    func open(_ stored: Data) throws -> Data
}

/// Bodies stored as their canonical JSON.
public struct PlaintextBodies: OperationBodyCodec {
    public init() {}
    public func seal(_ plaintext: Data, for id: OperationID) -> Data { plaintext }
    public func open(_ stored: Data) -> Data { stored }
}

import Crypto
import Foundation
import GRDB
import SyncCore

/// The server's word that it accepted an operation, in each entry of a push
/// receipt (Protocol.md §10.3): a MAC, under a key kept in the database, of
/// the operation's id and the SHA-256 of its canonical form. A laptop keeps
/// it; if the server is restored from a backup taken before, the laptop sends
/// the operation again with it, and the server does not judge again who
/// wrote it (`WriteRules.check`'s `acceptedBefore`): a handover or a change
/// of role since must not refuse what was accepted then.
enum ReceiptProof {
    static let context = Data("casework-sync receipt proof v1".utf8)

    static func make(for id: OperationID, canonical body: Data, key: SymmetricKey) -> String {
        var message = context
        message.append(0)
        message.append(contentsOf: id.description.utf8)
        message.append(0)
        message.append(contentsOf: SHA256.hash(data: body))
        return RandomSecret.base64URL(Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).prefix(16))
    }

    /// The operations among `operations` whose proof in `proofs` is this
    /// server's for exactly that content.
    static func accepted(
        _ operations: [SyncCore.Operation], proofs: [OperationID: String], codec: OperationCodec, key: SymmetricKey
    ) -> Set<OperationID> {
        guard !proofs.isEmpty else { return [] }
        var accepted: Set<OperationID> = []
        for operation in operations {
            guard let proof = proofs[operation.id], let given = Data(base64URL: proof), given.count == 16,
                  let expected = Data(base64URL: make(for: operation.id, canonical: codec.encode(operation), key: key))
            else { continue }
            if ConstantTime.equals(expected, given) { accepted.insert(operation.id) }
        }
        return accepted
    }
}

/// Keys of the server's own MACs, one per purpose, kept in the database so
/// that a copy restored from a backup still recognises what it gave out.
enum ServerKeys {
    /// Migration "server v4 device token key".
    static func createKeyTable(_ db: Database) throws {
        try db.create(table: "serverKey", options: .withoutRowID) { table in
            table.primaryKey("purpose", .text)
            table.column("key", .blob).notNull()
        }
    }

    /// The key for `purpose`, made on first use. Read first: a server whose
    /// disk is full still starts, and answers what it can.
    static func key(_ purpose: String, in writer: any DatabaseWriter) throws -> SymmetricKey {
        if let stored = try writer.read({ db in
            try Data.fetchOne(db, sql: "SELECT key FROM serverKey WHERE purpose = ?", arguments: [purpose])
        }) {
            return SymmetricKey(data: stored)
        }
        return SymmetricKey(data: try writer.write { db in
            try db.execute(sql: "INSERT INTO serverKey (purpose, key) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           arguments: [purpose, SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }])
            return try Data.fetchOne(db, sql: "SELECT key FROM serverKey WHERE purpose = ?", arguments: [purpose]) ?? Data()
        })
    }
}

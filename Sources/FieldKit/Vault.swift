import Crypto
import CryptoExtras
import Foundation
import SyncCore
import SyncPersistence

/// Encryption at rest. Every operation body (and so every title, name, note
/// body and next step) is sealed with ChaCha20-Poly1305 before it touches the
/// disk, under a key derived from the user's passphrase with scrypt
/// (deliberately slow: about a tenth of a second and 32 MiB per try), or read
/// from a key file only its owner may read.
public struct Vault: OperationBodyCodec {
    let key: SymmetricKey

    init(key: SymmetricKey) {
        self.key = key
    }

    public func seal(_ plaintext: Data, for id: OperationID) throws -> Data {
        try ChaChaPoly.seal(plaintext, using: key).combined
    }

    public func open(_ stored: Data) throws -> Data {
        try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: stored), using: key)
    }

    /// The device token is sealed like the case data: it opens every case of
    /// the user on the server, so a copy of the laptop's files must not give
    /// it without the passphrase. The context binds the sealed box to its
    /// purpose: no other sealed value can be passed off as the token.
    static let tokenContext = Data("casework field device token v1".utf8)

    func sealToken(_ token: String) throws -> Data {
        try ChaChaPoly.seal(Data(token.utf8), using: key, authenticating: Self.tokenContext).combined
    }

    func openToken(_ sealed: Data) throws -> String {
        String(decoding: try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: sealed), using: key, authenticating: Self.tokenContext),
               as: UTF8.self)
    }

    /// What is stored beside the data to re-derive and check the key.
    struct Header: Codable, Equatable {
        var version = 1
        /// `scrypt` (passphrase) or `key-file`.
        var kind: String
        var salt: Data
        var rounds: Int
        var blockSize: Int
        var parallelism: Int
        /// A known text sealed under the key: opening it proves the key right
        /// before anything is read or written.
        var check: Data
    }

    static let checkText = Data("casework field vault v1".utf8)
    public static let defaultRounds = 1 << 15

    /// Where the key comes from.
    public enum Secret: Sendable {
        case passphrase(String)
        case keyFile(String)
    }

    static func create(secret: Secret, at url: URL, rounds: Int = defaultRounds) throws -> Vault {
        var salt = Data(count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &generator) }
        var header = Header(kind: "", salt: salt, rounds: rounds, blockSize: 8, parallelism: 1, check: Data())
        let key: SymmetricKey
        switch secret {
        case .passphrase(let passphrase):
            header.kind = "scrypt"
            key = try deriveKey(passphrase, header: header)
        case .keyFile(let path):
            header.kind = "key-file"
            key = try readKeyFile(path, salt: salt)
        }
        let vault = Vault(key: key)
        header.check = try ChaChaPoly.seal(checkText, using: key).combined
        try FieldSettings.writePrivate(try JSONEncoder().encode(header), to: url)
        return vault
    }

    static func open(secret: Secret, at url: URL) throws -> Vault {
        let header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: url))
        let key: SymmetricKey
        switch secret {
        case .passphrase(let passphrase): key = try deriveKey(passphrase, header: header)
        case .keyFile(let path): key = try readKeyFile(path, salt: header.salt)
        }
        guard let vault = try open(key: key, at: url) else { throw FieldError.wrongPassphrase }
        return vault
    }

    /// The vault under an already derived key, or nil when the key is not this
    /// vault's (an unlocked key left from a store that was since replaced).
    static func open(key: SymmetricKey, at url: URL) throws -> Vault? {
        let header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: url))
        guard let opened = try? ChaChaPoly.open(ChaChaPoly.SealedBox(combined: header.check), using: key),
              opened == checkText
        else { return nil }
        return Vault(key: key)
    }

    /// A regular file that no one but its owner may read or write: what a key
    /// file and an unlocked key must be before they are trusted.
    static func isOwnerOnlyRegularFile(_ path: String, ownedBy owner: uid_t? = nil) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0
        else { return false }
        guard let owner else { return true }
        return (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == owner
    }

    static func deriveKey(_ passphrase: String, header: Header) throws -> SymmetricKey {
        guard !passphrase.isEmpty else { throw FieldError.noPassphrase }
        return try KDF.Scrypt.deriveKey(
            from: Data(passphrase.utf8), salt: header.salt, outputByteCount: 32,
            rounds: header.rounds, blockSize: header.blockSize, parallelism: header.parallelism)
    }

    /// A key file holds at least 32 random bytes; it must be a regular file
    /// that only its owner can read.
    static func readKeyFile(_ path: String, salt: Data) throws -> SymmetricKey {
        guard isOwnerOnlyRegularFile(path) else { throw FieldError.insecureKeyFile(path) }
        let material = try Data(contentsOf: URL(fileURLWithPath: path))
        guard material.count >= 32 else { throw FieldError.insecureKeyFile(path) }
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: material), salt: salt,
                                      info: Data("casework field vault".utf8), outputByteCount: 32)
    }
}

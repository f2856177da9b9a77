import Foundation
import GRDB
import HummingbirdBcrypt
import HummingbirdTesting
import SyncCore
@testable import SyncService
import Testing

/// What `user add` accepts: names in one spelling and not too like another,
/// passwords by the policy, bcrypt costs bcrypt supports.
@Suite struct AccountRulesTests {
    static let password = ServerHarness.password

    // MARK: Names

    @Test(arguments: [
        ("Anna", "anna"), ("ANNA.H", "anna.h"), ("ａｎｎａ", "anna"), ("bo.jensen", "bo.jensen"), ("ﬁn", "fin"),
    ])
    func namesAreNormalisedWithNFKCThenLowerCase(typed: String, stored: String) {
        #expect(UserName.normalized(typed) == stored)
    }

    @Test func addUserStoresTheNormalisedNameAndSignInAcceptsAnySpellingOfIt() async throws {
        let database = try ServerDatabase.inMemory()
        #expect(try await database.addUser("Anna", role: .caseworker, password: Self.password, bcryptCost: 4) == "anna")
        #expect(try await database.users().map(\.name) == ["anna"])
        for spelling in ["anna", "Anna", "ＡＮＮＡ"] {
            let signedIn = try await database.registerDevice(user: spelling, password: Self.password, deviceName: "laptop")
            #expect(signedIn?.device.user.name == "anna", "\(spelling)")
        }
    }

    @Test(arguments: [
        ("annah", "anna.h"), ("annah", "anna_h"), ("annah", "an-nah"), ("annah", "AnnaH"),
        ("bo", "b0"), ("ole", "o1e"), ("lis", "1is"), ("lis", "iis"), ("bo.jensen", "bojensen"), ("bo.jensen", "b0-jensen"),
        ("anna", "ＡＮＮＡ"), ("mette", "rnette"), ("wenche", "vvenche"), ("dorte", "clorte"),
    ])
    func aNameTooLikeAnExistingOneIsRefusedNamingIt(existing: String, new: String) async throws {
        let database = try ServerDatabase.inMemory()
        try await database.addUser(existing, role: .caseworker, password: Self.password, bcryptCost: 4)
        await #expect {
            try await database.addUser(new, role: .caseworker, password: Self.password, bcryptCost: 4)
        } throws: { error in
            guard let error = error as? AccountError else { return false }
            let normalized = UserName.normalized(new)
            return normalized == existing
                ? error == .userExists(existing)
                : error == .userTooSimilar(normalized, existing: existing) && error.description.contains("'\(existing)'")
        }
    }

    @Test func aRemovedUsersNameStaysTaken() async throws {
        let database = try ServerDatabase.inMemory()
        try await database.addUser("mette", role: .caseworker, password: Self.password, bcryptCost: 4)
        try await database.removeUser("Mette")
        await #expect(throws: AccountError.userTooSimilar("m.ette", existing: "mette")) {
            try await database.addUser("m.ette", role: .caseworker, password: Self.password, bcryptCost: 4)
        }
    }

    @Test func namesThatOnlyShareLettersAreStillAllowed() async throws {
        let database = try ServerDatabase.inMemory()
        for name in ["anna", "anna2", "hanna", "bo", "bob", "lis", "liss", "load01", "load10", "user1x10", "user11x0", "lucia", "luda"] {
            try await database.addUser(name, role: .caseworker, password: Self.password, bcryptCost: 4)
        }
        #expect(try await database.users().count == 13)
    }

    /// An account whose name was stored before normalisation existed (any id
    /// of Protocol.md §2) still signs in, under its own spelling.
    @Test func existingUserIDsKeepWorking() async throws {
        let database = try ServerDatabase.inMemory()
        try await Self.insertUserDirectly("bo.jensen_2-x", password: Self.password, into: database)
        try await Self.insertUserDirectly("b0", password: Self.password, into: database)
        #expect(try await database.registerDevice(user: "bo.jensen_2-x", password: Self.password, deviceName: "l") != nil)
        #expect(try await database.registerDevice(user: "b0", password: Self.password, deviceName: "l") != nil)
    }

    // MARK: Passwords

    @Test(arguments: ["short pass", "aaaaaaaaaaaaaaaa", "password1234", "Sommerfugl2024!", "qwertyuiop12"])
    func aWeakPasswordIsRefusedWithItsReason(password: String) async throws {
        let database = try ServerDatabase.inMemory()
        await #expect {
            try await database.addUser("anna", role: .caseworker, password: password, bcryptCost: 4)
        } throws: { error in
            guard case .weakPassword(let reason)? = error as? AccountError else { return false }
            return reason == PasswordPolicy.check(password)?.description
        }
        #expect(try await database.users().isEmpty)
    }

    /// bcrypt stops at a NUL byte and after 72 bytes: what it ignores may not
    /// make a weak password pass.
    @Test(arguments: [String(repeating: "a", count: 72) + " og resten er hemmelig", "Sommerfugl2024!\u{0}og resten er hemmelig"])
    func whatBcryptIgnoresDoesNotCount(password: String) async throws {
        let database = try ServerDatabase.inMemory()
        await #expect(throws: AccountError.self) {
            try await database.addUser("anna", role: .caseworker, password: password, bcryptCost: 4)
        }
        #expect(try await database.users().isEmpty)
    }

    @Test func anAccountWithAPasswordFromBeforeThePolicyStillSignsIn() async throws {
        let database = try ServerDatabase.inMemory()
        try await Self.insertUserDirectly("old", password: "kort", into: database)
        #expect(try await database.registerDevice(user: "old", password: "kort", deviceName: "laptop") != nil)
    }

    // MARK: bcrypt cost

    @Test(arguments: [-1, 0, 3, 32, 255, 256])
    func aBcryptCostOutsideFourToThirtyOneIsAnErrorNotACrash(cost: Int) async throws {
        let database = try ServerDatabase.inMemory()
        await #expect(throws: AccountError.invalidBcryptCost(cost)) {
            try await database.addUser("anna", role: .caseworker, password: Self.password, bcryptCost: cost)
        }
    }

    static func insertUserDirectly(_ name: String, password: String, into database: ServerDatabase) async throws {
        let hash = Bcrypt.hash(password, cost: 4)
        try await database.writer.write { db in
            try db.execute(sql: "INSERT INTO user (name, role, passwordHash, createdAt) VALUES (?, 'caseworker', ?, 0)",
                           arguments: [name, hash])
        }
    }
}

import Synchronization
import SyncCore

/// Counts failed sign-ins per user name and source, per source address, and
/// per user name from everywhere, and says when the next attempt may come
/// (Protocol.md §10.2). The slowdown of a name is kept per source: someone
/// guessing a colleague's name from their own address slows down their own
/// guesses, not the colleague signing in from hers; only a guess from many
/// sources at once (`failuresPerUserEverywhere`) slows the name down for all. It keeps its counts in memory:
/// a restart forgets them, which costs an attacker a restart of the server, not
/// a new start of guessing for free.
///
/// Attempts still being checked count as failures until they are decided (for
/// an address, once it has failed), so that sixteen guesses sent at once under
/// a name with four failures are not all let through to the password check
/// before the first of them fails.
/// Refused attempts are not checked and do not count. Guessing a name from
/// one source slows that source only; the name slows down everywhere only
/// after `failuresPerUserEverywhere` failures within an hour from all sources.
public final class SignInLimiter: Sendable {
    public enum Limit: String, Sendable, Equatable {
        case user, address
    }

    /// An admitted attempt, to be finished with its outcome.
    public struct Ticket: Sendable {
        let user: String
        let address: String
        var pair: String { Self.pairKey(user, address) }

        static func pairKey(_ user: String, _ address: String) -> String { user + "\u{1F}" + address }
    }

    public enum Admission: Sendable {
        case admitted(Ticket)
        /// `audit`: the first refusal for this name or address in a minute,
        /// which goes to the audit log; the rest of a flood does not.
        case refused(retryAfterSeconds: Int, limit: Limit, audit: Bool)
    }

    public enum Outcome: Sendable {
        case succeeded, failed
        /// Neither: the check did not happen (the server was busy or failed).
        case abandoned
    }

    private struct UserState {
        var failures = 0
        var lastFailure: Int64 = 0
        var pending = 0
        var lastAuditedRefusal: Int64?
        var isEmpty: Bool { failures == 0 && pending == 0 }
    }

    private struct AddressState {
        /// Times of the latest failures, oldest first, at most the limit's count.
        var failures: [Int64] = []
        var pending = 0
        var lastAuditedRefusal: Int64?
        var isEmpty: Bool { failures.isEmpty && pending == 0 }
    }

    private struct State {
        /// Per user name and source address.
        var users: [String: UserState] = [:]
        var addresses: [String: AddressState] = [:]
        /// Per user name, from every source: failures within `forgetAfter`.
        var names: [String: AddressState] = [:]
    }

    public let limits: SignInLimits
    private let clock: any WallClock
    private let state = Mutex(State())

    /// Names and addresses tracked at most, each: guesses under ever new names
    /// must not grow the server's memory without bound.
    static let maximumTracked = 10_000
    static let auditInterval: Int64 = 60_000

    public init(limits: SignInLimits = .standard, clock: any WallClock) {
        self.limits = limits
        self.clock = clock
    }

    /// `user` is the normalised name (`UserName.normalized`).
    public func admit(user: String, address: String) -> Admission {
        let now = Int64(clock.milliseconds())
        let pair = Ticket.pairKey(user, address)
        return state.withLock { state in
            var userState = state.users[pair] ?? UserState()
            var addressState = state.addresses[address] ?? AddressState()
            var nameState = state.names[user] ?? AddressState()
            forgetOld(&userState, &addressState, now: now)
            nameState.failures.removeAll { $0 <= now - limits.forgetAfter }
            // Which count refuses: the name from this source, the name from
            // everywhere, or the address. Each keeps the time of its last
            // audited refusal, so a flood makes one event a minute for each.
            let pairWait = userWait(userState, now: now)
            let everywhereWait = pairWait == nil ? nameWait(nameState, now: now) : nil
            let refusal: (Int64, Limit)? = if let wait = pairWait ?? everywhereWait {
                (wait, .user)
            } else if let wait = addressWait(addressState, now: now) {
                (wait, .address)
            } else {
                nil
            }
            if case let (wait, limit)? = refusal {
                var audit = false
                switch limit {
                case .user where everywhereWait != nil:
                    audit = nameState.lastAuditedRefusal.map { now - $0 >= Self.auditInterval } ?? true
                    if audit { nameState.lastAuditedRefusal = now }
                case .user:
                    audit = userState.lastAuditedRefusal.map { now - $0 >= Self.auditInterval } ?? true
                    if audit { userState.lastAuditedRefusal = now }
                case .address:
                    audit = addressState.lastAuditedRefusal.map { now - $0 >= Self.auditInterval } ?? true
                    if audit { addressState.lastAuditedRefusal = now }
                }
                store(userState, pair, addressState, address, in: &state, now: now)
                storeName(nameState, user, in: &state, now: now)
                return .refused(retryAfterSeconds: Int((wait + 999) / 1000), limit: limit, audit: audit)
            }
            userState.pending += 1
            addressState.pending += 1
            store(userState, pair, addressState, address, in: &state, now: now)
            storeName(nameState, user, in: &state, now: now)
            return .admitted(Ticket(user: user, address: address))
        }
    }

    public func finish(_ ticket: Ticket, _ outcome: Outcome) {
        let now = Int64(clock.milliseconds())
        state.withLock { state in
            var userState = state.users[ticket.pair] ?? UserState()
            var addressState = state.addresses[ticket.address] ?? AddressState()
            var nameState = state.names[ticket.user] ?? AddressState()
            userState.pending = max(0, userState.pending - 1)
            addressState.pending = max(0, addressState.pending - 1)
            switch outcome {
            case .succeeded:
                userState.failures = 0
                userState.lastAuditedRefusal = nil
            case .failed:
                userState.failures += 1
                userState.lastFailure = now
                if limits.failuresPerUserEverywhere > 0 {
                    nameState.failures.append(now)
                    if nameState.failures.count > limits.failuresPerUserEverywhere { nameState.failures.removeFirst() }
                }
                if limits.failuresPerAddress > 0 {
                    addressState.failures.append(now)
                    if addressState.failures.count > limits.failuresPerAddress { addressState.failures.removeFirst() }
                }
            case .abandoned:
                break
            }
            store(userState, ticket.pair, addressState, ticket.address, in: &state, now: now)
            storeName(nameState, ticket.user, in: &state, now: now)
        }
    }

    /// The wait before a name may be tried again from anywhere, if any: once
    /// it failed `failuresPerUserEverywhere` times within `forgetAfter`.
    private func nameWait(_ name: AddressState, now: Int64) -> Int64? {
        let limit = limits.failuresPerUserEverywhere
        guard limit > 0, name.failures.count >= limit else { return nil }
        return max(1, name.failures[name.failures.count - limit] + limits.forgetAfter - now)
    }

    private func storeName(_ name: AddressState, _ key: String, in state: inout State, now: Int64) {
        if name.failures.isEmpty {
            state.names.removeValue(forKey: key)
            return
        }
        if state.names[key] == nil, state.names.count >= Self.maximumTracked {
            state.names = state.names.filter { _, name in name.failures.contains { $0 > now - limits.forgetAfter } }
            if state.names.count >= Self.maximumTracked,
               let oldest = state.names.min(by: { ($0.value.failures.last ?? 0) < ($1.value.failures.last ?? 0) }) {
                state.names.removeValue(forKey: oldest.key)
            }
        }
        state.names[key] = name
    }

    /// The wait in milliseconds before a user name may try again, if any.
    private func userWait(_ user: UserState, now: Int64) -> Int64? {
        let counted = user.failures + user.pending
        guard counted >= limits.freeFailuresPerUser else { return nil }
        // Another attempt under this name is being checked: its outcome decides.
        if user.pending > 0 { return limits.firstDelay }
        let until = user.lastFailure + delay(afterFailures: user.failures)
        return until > now ? until - now : nil
    }

    /// The wait in milliseconds before an address may try again, if any.
    private func addressWait(_ address: AddressState, now: Int64) -> Int64? {
        let limit = limits.failuresPerAddress
        // Attempts in flight count only once the address has failed: many
        // people behind one proxy sign in at once at nine in the morning.
        let counted = address.failures.count + (address.failures.isEmpty ? 0 : address.pending)
        guard limit > 0, counted >= limit else { return nil }
        guard address.failures.count >= limit else { return limits.firstDelay }
        return max(1, address.failures[address.failures.count - limit] + limits.addressWindow - now)
    }

    /// The wait after `failures` failures in a row (at least the free ones):
    /// `firstDelay`, doubling with each further failure, up to `maximumDelay`.
    func delay(afterFailures failures: Int) -> Int64 {
        let doublings = min(max(0, failures - limits.freeFailuresPerUser), 40)
        let (delay, overflow) = limits.firstDelay.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? limits.maximumDelay : min(delay, limits.maximumDelay)
    }

    private func forgetOld(_ user: inout UserState, _ address: inout AddressState, now: Int64) {
        if user.pending == 0, user.failures > 0, now - user.lastFailure >= limits.forgetAfter { user.failures = 0 }
        address.failures.removeAll { $0 <= now - limits.addressWindow }
    }

    private func store(_ user: UserState, _ userKey: String, _ address: AddressState, _ addressKey: String,
                       in state: inout State, now: Int64) {
        // An entry with nothing counted limits nobody (a refused one always has counts).
        if user.isEmpty {
            state.users.removeValue(forKey: userKey)
        } else {
            if state.users[userKey] == nil, state.users.count >= Self.maximumTracked { evictUser(from: &state, now: now) }
            state.users[userKey] = user
        }
        if address.isEmpty {
            state.addresses.removeValue(forKey: addressKey)
        } else {
            if state.addresses[addressKey] == nil, state.addresses.count >= Self.maximumTracked {
                evictAddress(from: &state, now: now)
            }
            state.addresses[addressKey] = address
        }
    }

    /// Drops what no longer limits anyone; if that frees nothing, the name
    /// whose last failure is oldest, which is the least telling.
    private func evictUser(from state: inout State, now: Int64) {
        state.users = state.users.filter { _, user in
            user.pending > 0 || (user.failures > 0 && now - user.lastFailure < limits.forgetAfter)
        }
        guard state.users.count >= Self.maximumTracked,
              let oldest = state.users.filter({ $0.value.pending == 0 }).min(by: { $0.value.lastFailure < $1.value.lastFailure })
        else { return }
        state.users.removeValue(forKey: oldest.key)
    }

    private func evictAddress(from state: inout State, now: Int64) {
        state.addresses = state.addresses.filter { _, address in
            address.pending > 0 || address.failures.contains { $0 > now - limits.addressWindow }
        }
        guard state.addresses.count >= Self.maximumTracked,
              let oldest = state.addresses.filter({ $0.value.pending == 0 })
                  .min(by: { ($0.value.failures.last ?? 0) < ($1.value.failures.last ?? 0) })
        else { return }
        state.addresses.removeValue(forKey: oldest.key)
    }

    /// Names and addresses tracked now (for tests of the memory bound).
    var trackedCounts: (users: Int, addresses: Int) {
        state.withLock { ($0.users.count, $0.addresses.count) }
    }
}

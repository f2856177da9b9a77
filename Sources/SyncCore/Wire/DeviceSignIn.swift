import Foundation

/// The body of `POST /v1/devices` (Protocol.md §10.2): a user signs in on a
/// laptop, which becomes a device of theirs, or, with `resume`, the device
/// of an earlier sign-in again.
public struct DeviceSignIn: Sendable, Equatable {
    public var user: String
    public var password: String
    public var deviceName: String
    /// The device's earlier token (§10.2, resuming a device).
    public var resume: String?

    /// Bytes, not characters: one letter with thousands of combining marks
    /// is one character and would fill the audit log.
    public static let maximumPasswordBytes = 1024
    public static let maximumDeviceNameBytes = 200
    public static let maximumResumeBytes = 200

    public init(user: String, password: String, deviceName: String, resume: String? = nil) {
        self.user = user
        self.password = password
        self.deviceName = deviceName
        self.resume = resume
    }

    public func encoded() -> Data {
        var members: [String: JSONValue] = ["user": .string(user), "password": .string(password), "deviceName": .string(deviceName)]
        if let resume { members["resume"] = .string(resume) }
        return OperationCodec.canonicalBytes(.object(members))
    }

    public static func decode(_ data: Data) throws(WireError) -> DeviceSignIn {
        try DeviceSignIn(json: WireObject.parse(data))
    }

    public init(json: JSONValue) throws(WireError) {
        let body = try WireObject(json, path: nil, expected: "the body must be a JSON object with user, password and deviceName",
                                  allowed: ["user", "password", "deviceName", "resume"])
        func text(_ name: String, maximum: Int) throws(WireError) -> String {
            guard case .string(let text) = try body.required(name), !text.isEmpty, text.utf8.count <= maximum else {
                throw WireError(.wrongType, "\"\(name)\" must be a non-empty string of at most \(maximum) bytes", path: name)
            }
            return text
        }
        user = try text("user", maximum: UserID.maximumLength)
        password = try text("password", maximum: Self.maximumPasswordBytes)
        deviceName = try text("deviceName", maximum: Self.maximumDeviceNameBytes)
        resume = body["resume"] == nil ? nil : try text("resume", maximum: Self.maximumResumeBytes)
    }
}

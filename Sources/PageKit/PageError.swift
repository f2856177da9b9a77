import Hummingbird

/// A refusal shown to the person as an HTML page with the right status (never
/// a stack trace, never a 5xx for bad input). Its words are keys of the front
/// end's language catalogue, so the page speaks the reader's language;
/// `detail` is text from elsewhere (a library's error) shown as it is.
public struct PageError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let headingKey: String
    public let messageKey: String
    /// Values for the message's `{1}`, `{2}`… placeholders.
    public let arguments: [String]
    public let detail: String?

    public init(status: HTTPResponse.Status, headingKey: String, messageKey: String, arguments: [String] = [], detail: String? = nil) {
        self.status = status
        self.headingKey = headingKey
        self.messageKey = messageKey
        self.arguments = arguments
        self.detail = detail
    }

    public static let csrfRefused = PageError(status: .forbidden, headingKey: "errorCsrfHeading", messageKey: "errorCsrfMessage")
    public static let foreignOrigin = PageError(
        status: .forbidden, headingKey: "errorForeignOriginHeading", messageKey: "errorForeignOriginMessage")
    public static let wrongHost = PageError(status: .forbidden, headingKey: "errorWrongHostHeading", messageKey: "errorWrongHostMessage")
    public static let unsupportedForm = PageError(
        status: .unsupportedMediaType, headingKey: "errorUnsupportedFormHeading", messageKey: "errorUnsupportedFormMessage")
    public static let unreadableForm = PageError(
        status: .badRequest, headingKey: "errorUnreadableFormHeading", messageKey: "errorUnreadableFormMessage")
    public static func formTooLarge(limitBytes: Int) -> PageError {
        PageError(status: .contentTooLarge, headingKey: "errorFormTooLargeHeading", messageKey: "errorFormTooLargeMessage",
                  arguments: [String(limitBytes / 1024)])
    }
    public static let notFound = PageError(status: .notFound, headingKey: "errorNotFoundHeading", messageKey: "errorNotFoundMessage")

    /// The keys PageKit's own refusals need in every catalogue of a front end.
    public static let catalogueKeys: [String] = [csrfRefused, foreignOrigin, wrongHost, unsupportedForm, unreadableForm,
                                                 formTooLarge(limitBytes: 0), notFound].flatMap { [$0.headingKey, $0.messageKey] }
        + ["errorServerHeading", "errorServerMessage"]
}

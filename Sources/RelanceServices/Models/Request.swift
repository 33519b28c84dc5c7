import Foundation
import RelanceCore

/// What a customer asks from the invoice page.
public enum RequestKind: String, Sendable, Codable, CaseIterable {
    case plan, question
}

/// Where a request stands.
public enum RequestStatus: String, Sendable, Codable, CaseIterable {
    case pending, accepted, declined, answered, replaced, cancelled
}

/// How a customer would like to hear back.
public enum ContactPreference: String, Sendable, Codable, CaseIterable {
    case sms, phone, email
}

/// When a customer would like to be called back.
public enum CallbackTime: String, Sendable, Codable, CaseIterable {
    case morning, midday, afternoon, evening
}

/// A plan proposal or question as the customer sent it.
public struct NewRequest: Sendable {
    public var kind: RequestKind
    public var invoiceID: Int64
    public var linkID: Int64?
    public var schedule: [Instalment]
    public var message: String?
    public var contact: ContactPreference?
    public var callback: CallbackTime?
    public var ipHash: String?

    public init(
        kind: RequestKind, invoiceID: Int64, linkID: Int64?, schedule: [Instalment] = [], message: String? = nil,
        contact: ContactPreference? = nil, callback: CallbackTime? = nil, ipHash: String? = nil
    ) {
        self.kind = kind
        self.invoiceID = invoiceID
        self.linkID = linkID
        self.schedule = schedule
        self.message = message
        self.contact = contact
        self.callback = callback
        self.ipHash = ipHash
    }
}

/// A stored request with what the business needs to answer it.
public struct CustomerRequest: Sendable, Equatable {
    public var id: Int64
    public var invoiceID: Int64
    public var invoiceNumber: String
    public var customerID: Int64
    public var customerName: String
    public var currency: Currency
    public var kind: RequestKind
    public var status: RequestStatus
    public var schedule: [Instalment]
    public var message: String?
    public var contact: ContactPreference?
    public var callback: CallbackTime?
    public var autoAccepted: Bool
    public var answer: String?
    public var answeredAt: Date?
    public var createdAt: Date

    public init(
        id: Int64, invoiceID: Int64, invoiceNumber: String, customerID: Int64, customerName: String, currency: Currency,
        kind: RequestKind, status: RequestStatus, schedule: [Instalment], message: String?, contact: ContactPreference?,
        callback: CallbackTime?, autoAccepted: Bool, answer: String?, answeredAt: Date?, createdAt: Date
    ) {
        self.id = id
        self.invoiceID = invoiceID
        self.invoiceNumber = invoiceNumber
        self.customerID = customerID
        self.customerName = customerName
        self.currency = currency
        self.kind = kind
        self.status = status
        self.schedule = schedule
        self.message = message
        self.contact = contact
        self.callback = callback
        self.autoAccepted = autoAccepted
        self.answer = answer
        self.answeredAt = answeredAt
        self.createdAt = createdAt
    }
}

/// What a submission led to.
public enum RequestOutcome: Sendable, Equatable {
    case created(CustomerRequest)
    /// The same form sent again: nothing new was stored.
    case duplicate(CustomerRequest)
    /// The plan no longer fits (the balance changed, or the limits); each problem says what to change.
    case invalid([PlanProblem])
    /// Paid or void: there is nothing left to arrange.
    case notOpen
    /// Too many requests for this invoice today.
    case rateLimited
}

/// The facts the text to the customer is written from: a confirmation, or the business's answer.
public struct RequestNotice: Sendable {
    public enum Event: Sendable, Equatable {
        case received, acceptedAtOnce, accepted, declined, answered
    }

    public var event: Event
    public var kind: RequestKind
    public var business: Business
    public var invoiceNumber: String
    public var customerLocale: String?
    public var schedule: [Instalment]
    public var currency: Currency
    /// The business's words, when it wrote some.
    public var answer: String?
    /// A fresh link to the invoice page, when the message carries one.
    public var link: String?

    public init(
        event: Event, kind: RequestKind, business: Business, invoiceNumber: String, customerLocale: String?,
        schedule: [Instalment], currency: Currency, answer: String?, link: String?
    ) {
        self.event = event
        self.kind = kind
        self.business = business
        self.invoiceNumber = invoiceNumber
        self.customerLocale = customerLocale
        self.schedule = schedule
        self.currency = currency
        self.answer = answer
        self.link = link
    }
}

/// Why the business's answer cannot be recorded.
public enum RequestAnswerError: Error, Equatable, Sendable {
    case notPending(RequestStatus)
    case wrongKind(RequestKind)
    case invoiceClosed
    case invalidSchedule([PlanProblem])
}

/// The business's answer to a request.
public enum RequestAnswer: Sendable, Equatable {
    /// Accept a plan, as proposed (nil) or with the business's own schedule.
    case accept([Instalment]?)
    case decline
    /// Answer a question.
    case reply
}

import Foundation
import RelanceCore

/// One payment received against an invoice: a row of `payment`, as the API shows it. Its id is never
/// nil (the API always has one), so a new payment is inserted by SQL and read back through this record.
public struct PaymentRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var invoiceID: Int64
    /// In minor units of the invoice's currency.
    public var amount: Int64
    /// A `PaymentMethod`'s raw value; the column only limits its length.
    public var method: String
    public var reference: String?
    public var receivedAt: Date
    public var recordedAt: Date

    public init(
        id: Int64, invoiceID: Int64, amount: Int64, method: String, reference: String?, receivedAt: Date,
        recordedAt: Date
    ) {
        self.id = id
        self.invoiceID = invoiceID
        self.amount = amount
        self.method = method
        self.reference = reference
        self.receivedAt = receivedAt
        self.recordedAt = recordedAt
    }
}

/// A payment to record, already validated.
public struct NewPayment: Sendable, Equatable {
    public var amount: Int64
    public var method: PaymentMethod
    public var reference: String?
    public var receivedAt: Date
    public var allowOverpayment: Bool

    public init(
        amount: Int64, method: PaymentMethod, reference: String?, receivedAt: Date, allowOverpayment: Bool = false
    ) {
        self.amount = amount
        self.method = method
        self.reference = reference
        self.receivedAt = receivedAt
        self.allowOverpayment = allowOverpayment
    }
}

/// What an idempotent API write answered the first time, kept to answer retries identically.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data

    public init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }
}

/// Who asked and what they sent, for an idempotent write: the API key, the `Idempotency-Key` header, and a
/// hash of the request it guards.
public struct IdempotencyKey: Sendable, Equatable {
    public var apiKeyID: Int64
    public var key: String
    public var requestHash: String

    public init(apiKeyID: Int64, key: String, requestHash: String) {
        self.apiKeyID = apiKeyID
        self.key = key
        self.requestHash = requestHash
    }
}

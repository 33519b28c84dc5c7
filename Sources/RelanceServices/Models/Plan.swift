import Foundation
import RelanceCore

/// An invoice's payment plan with what each instalment has received.
public struct PlanView: Sendable, Equatable {
    public var id: Int64
    public var invoiceID: Int64
    public var status: PlanStatus
    public var createdAt: Date
    public var endedAt: Date?
    public var endReason: String?
    public var instalments: [Instalment]
    public var instalmentIDs: [Int64]
    /// Paid towards each instalment, oldest first.
    public var paid: [Int64]

    public init(
        id: Int64, invoiceID: Int64, status: PlanStatus, createdAt: Date, endedAt: Date?, endReason: String?,
        instalments: [Instalment], instalmentIDs: [Int64], paid: [Int64]
    ) {
        self.id = id
        self.invoiceID = invoiceID
        self.status = status
        self.createdAt = createdAt
        self.endedAt = endedAt
        self.endReason = endReason
        self.instalments = instalments
        self.instalmentIDs = instalmentIDs
        self.paid = paid
    }

    /// The first instalment not paid in full.
    public var nextIndex: Int? { instalments.indices.first { paid[$0] < instalments[$0].amount } }

    /// What is left of the next instalment, in minor units (nil when everything is paid).
    public var nextRemaining: Int64? { nextIndex.map { instalments[$0].amount - paid[$0] } }

    /// What the customer is asked to pay now: the rest of the next instalment, never more than the
    /// balance (the QR code, the card payment and the page all use this).
    public func payable(balance: Money) -> Money {
        guard let remaining = nextRemaining else { return balance }
        return Money(minorUnits: min(remaining, balance.minorUnits), currency: balance.currency)
    }
}

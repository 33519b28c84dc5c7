/// The European Payments Council's QR payload for a SEPA credit transfer ("GiroCode", BCD version 002,
/// UTF-8): a banking app that scans it fills in beneficiary, IBAN, amount and reference.
public enum EPCPayment {
    /// The payload, or nil when the transfer cannot be one (not euros, no IBAN, amount out of range).
    /// A structured creditor reference (`RF…`) goes in its own field; otherwise `text` is the remittance.
    public static func payload(
        beneficiary: String, iban: String, bic: String?, amount: Money, reference: String?, text: String?
    ) -> String? {
        let compactIBAN = iban.uppercased().filter { $0 != " " }
        guard amount.currency.code == "EUR", amount.minorUnits >= 1, amount.minorUnits <= 99_999_999_999,
            (15...34).contains(compactIBAN.count)
        else { return nil }
        let name = String(beneficiary.prefix(70))
        guard !name.isEmpty else { return nil }
        let euros = amount.minorUnits / 100
        let cents = amount.minorUnits % 100
        let structured = reference.map { $0.filter { $0 != " " } }.flatMap { CreditorReference.isValid($0) ? $0 : nil }
        let lines = [
            "BCD", "002", "1", "SCT", bic.map { $0.uppercased().filter { $0 != " " } } ?? "", name, compactIBAN,
            "EUR\(euros).\(cents < 10 ? "0" : "")\(cents)", "", structured ?? "",
            structured == nil ? String((text ?? "").prefix(140)) : "",
        ]
        var payload = lines.joined(separator: "\n")
        while payload.hasSuffix("\n") { payload.removeLast() }
        return payload.utf8.count <= 331 ? payload : nil
    }
}

import Foundation
import RelanceCore

/// Changes to the business's settings, from the API or the dashboard: each checked by Core's rules and
/// audited in the transaction that saves it, with what changed.
public struct SettingsService: Sendable {
    let storage: any SettingsStorage
    let clock: Clock

    public init(storage: any SettingsStorage, clock: Clock = .system) {
        self.storage = storage
        self.clock = clock
    }

    /// What the API and the dashboard say is wrong with a whole settings form.
    public struct Problems: Error, Sendable {
        public var profile: [(field: BusinessProfile.Field, message: String)]
        public var sending: [SendingRules.Problem]
        public var plans: [PlanSettings.Problem]
    }

    /// The business profile from `draft`: checked, and audited with the fields that changed (the bank
    /// account and payment link with their old and new values, since they say where customers' money
    /// goes). `audit`'s detail is filled here.
    public func updateProfile(_ draft: BusinessProfile.Draft, audit: AuditNote) async throws -> Business {
        let profile = try BusinessProfile(checking: draft)
        let before = try await storage.business()
        var business = before
        business.profile = profile
        var note = audit
        let changed = SettingsService.changes(from: before.profile, to: business.profile)
        note.detail = changed.isEmpty ? "no change" : changed
        try await storage.saveBusiness(business, audit: note)
        return business
    }

    /// The dashboard's whole settings form: the profile, the sending rules and the plan settings, each
    /// checked against Core's rules, saved together or, with any problem, not at all. The audit line
    /// names the profile's changed fields as `updateProfile` does.
    public func saveAll(
        profile draft: BusinessProfile.Draft, sending: SendingRules.Draft, pauseOnReply: Bool,
        plans: PlanSettings.Draft, audit: AuditNote
    ) async throws -> Business {
        let before = try await storage.business()
        var business = before
        var problems = Problems(profile: [], sending: [], plans: [])
        do throws(BusinessProfile.Problems) {
            business.profile = try BusinessProfile(checking: draft)
        } catch {
            problems.profile = error.list
        }
        let (rules, sendingProblems) = try await storage.sendingRules().applying(sending, requireAll: true)
        problems.sending = sendingProblems
        let (planSettings, planProblems) = try await storage.planSettings().applying(plans, requireAll: true)
        problems.plans = planProblems
        guard problems.profile.isEmpty, problems.sending.isEmpty, problems.plans.isEmpty else { throw problems }
        var note = audit
        let changed = SettingsService.changes(from: before.profile, to: business.profile)
        note.detail = note.detail ?? (changed.isEmpty ? nil : changed)
        try await storage.saveSettings(
            business: business, rules: rules, pauseOnReply: pauseOnReply, plans: planSettings, now: clock.now(),
            audit: note)
        return business
    }

    /// The profile's changed fields, by their API names: where the money goes with old → new.
    static func changes(from before: BusinessProfile, to after: BusinessProfile) -> String {
        let paying: [BusinessProfile.Field] = [.bank_iban, .payment_url]
        let changed = BusinessProfile.Field.allCases.filter { before.value(of: $0) != after.value(of: $0) }
        let money = paying.filter(changed.contains).map {
            "\($0.rawValue) \(before.value(of: $0) ?? "none") → \(after.value(of: $0) ?? "none")"
        }
        let others = changed.filter { !paying.contains($0) }.map(\.rawValue).sorted()
        return (money + others).joined(separator: ", ")
    }
}

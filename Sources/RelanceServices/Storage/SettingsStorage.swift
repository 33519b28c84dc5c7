import Foundation
import RelanceCore

/// The business's settings as a database keeps them: its profile, when messages may go out, and what a
/// payment plan may be. Each save is one transaction with its audit line.
public protocol SettingsStorage: StorageHealth {
    func business() async throws -> Business
    func sendingRules() async throws -> SendingRules
    func pausesOnReply() async throws -> Bool
    func planSettings() async throws -> PlanSettings
    func saveBusiness(_ business: Business, audit: AuditNote?) async throws
    func saveSendingRules(_ rules: SendingRules, pauseOnReply: Bool, now: Date, audit: AuditNote?) async throws
    func savePlanSettings(_ settings: PlanSettings, audit: AuditNote?) async throws
    /// Profile, sending rules and plan settings together: saved whole or not at all.
    func saveSettings(
        business: Business, rules: SendingRules, pauseOnReply: Bool, plans: PlanSettings, now: Date, audit: AuditNote?
    ) async throws
}

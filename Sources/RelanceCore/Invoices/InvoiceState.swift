import Foundation

/// Whether an invoice still asks for money.
public enum InvoiceStatus: String, Sendable, Codable, CaseIterable {
    case open, paid, void
}

/// What the customer is told about the invoice's timing on the payment page.
public enum DueState: Equatable, Sendable {
    case dueIn(days: Int)
    case dueToday
    case overdue(days: Int)
    case paid
    case void

    public init(status: InvoiceStatus, dueOn: CalendarDate, today: CalendarDate) {
        switch status {
        case .paid: self = .paid
        case .void: self = .void
        case .open:
            let days = dueOn.daysSinceEpoch - today.daysSinceEpoch
            self = days > 0 ? .dueIn(days: days) : days == 0 ? .dueToday : .overdue(days: -days)
        }
    }

    /// Days past the due date, 0 when not overdue (the API's `days_overdue`).
    public var daysOverdue: Int {
        if case .overdue(let days) = self { return days }
        return 0
    }
}

/// Who fetched a link: a person, or a program that unfurls links in a chat or indexes the web.
public enum UserAgentClass: String, Sendable, Codable, CaseIterable {
    case person
    case preview

    // Substrings of the user agents of link-preview fetchers, crawlers and scripts, lowercased.
    // In-app browsers (LINE, Teams, Snapchat…) are people and must not match.
    static let previewMarkers = [
        "whatsapp", "facebookexternalhit", "facebookcatalog", "facebot", "meta-externalagent", "slackbot",
        "slack-imgproxy", "telegrambot", "twitterbot", "discordbot", "googlebot", "google-inspectiontool",
        "bingbot", "bingpreview", "linkedinbot", "skypeuripreview", "applebot", "pinterest", "redditbot",
        "embedly", "vkshare", "w3c_validator", "mattermost", "yandexbot", "duckduckbot", "baiduspider",
        "iframely", "microsoftpreview", "bot/", "crawler", "spider", "preview", "curl/", "wget/",
        "python-requests", "go-http-client",
    ]

    static let previewMarkerBytes: [[UInt8]] = previewMarkers.map { Array($0.utf8) }

    public init(userAgent: String?) {
        guard let userAgent, !userAgent.isEmpty else {
            // No user agent is what scripts send, not phones.
            self = .preview
            return
        }
        // Real traffic shows few distinct user agents: remember the verdicts.
        if let known = UserAgentClass.cache.lookup(userAgent) {
            self = known
            return
        }
        self = UserAgentClass(classifying: userAgent)
        UserAgentClass.cache.store(userAgent, self)
    }

    static let cache = VerdictCache()

    init(classifying userAgent: String) {
        guard !userAgent.isEmpty else {
            // No user agent is what scripts send, not phones.
            self = .preview
            return
        }
        // iMessage fetches previews with a desktop Safari string plus the facebookexternalhit marker.
        // Matched on ASCII bytes: this runs on every page view, and Foundation's search is slow here.
        var haystack = Array(userAgent.utf8.prefix(512))
        for index in haystack.indices where haystack[index] >= 65 && haystack[index] <= 90 { haystack[index] += 32 }
        for marker in UserAgentClass.previewMarkerBytes where UserAgentClass.contains(haystack, marker) {
            self = .preview
            return
        }
        self = .person
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var offset = 1
                while offset < needle.count && haystack[index + offset] == needle[offset] { offset += 1 }
                if offset == needle.count { return true }
            }
            index += 1
        }
        return false
    }
}

/// A bounded memo of user-agent verdicts; emptied when full rather than tracking recency.
final class VerdictCache: @unchecked Sendable {
    private let lock = NSLock()
    private var verdicts: [String: UserAgentClass] = [:]
    static let capacity = 2_048

    func lookup(_ userAgent: String) -> UserAgentClass? {
        lock.lock()
        defer { lock.unlock() }
        return verdicts[userAgent]
    }

    func store(_ userAgent: String, _ verdict: UserAgentClass) {
        guard userAgent.utf8.count <= 512 else { return }
        lock.lock()
        defer { lock.unlock() }
        if verdicts.count >= VerdictCache.capacity { verdicts.removeAll(keepingCapacity: true) }
        verdicts[userAgent] = verdict
    }
}

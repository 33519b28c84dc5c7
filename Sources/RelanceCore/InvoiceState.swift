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
public enum UserAgentClass: String, Sendable {
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

    public init(userAgent: String?) {
        guard let userAgent, !userAgent.isEmpty else {
            // No user agent is what scripts send, not phones.
            self = .preview
            return
        }
        let lowered = userAgent.lowercased()
        // iMessage fetches previews with a desktop Safari string plus the facebookexternalhit marker.
        self = UserAgentClass.previewMarkers.contains(where: lowered.contains) ? .preview : .person
    }
}

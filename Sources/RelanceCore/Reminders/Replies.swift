import Foundation

/// What a customer's text message asks for.
public enum ReplyKeyword: String, Sendable, Equatable, Codable, CaseIterable {
    /// Stop all text messages.
    case stop
    /// Start them again after a stop.
    case start
    /// Anything else: a question, a promise, a complaint — for a person to read.
    case other

    static let stopWords: Set<String> = [
        "STOP", "STOP SMS", "STOPSMS", "STOP ALL", "STOPALL", "ARRET", "ARRETER", "ARRET SMS", "UNSUBSCRIBE", "CANCEL",
        "END", "QUIT", "DESABONNER", "DESINSCRIRE", "DESINSCRIPTION", "STOP PUB",
    ]
    static let startWords: Set<String> = ["START", "UNSTOP", "YES", "REPRENDRE", "REPRISE"]

    /// Reads a reply in any case, with or without accents and surrounding spaces or punctuation.
    public init(reply: String) {
        // A keyword is a word or two; a long text is a message, whatever it starts with.
        guard reply.utf8.count <= 160 else {
            self = .other
            return
        }
        let folded = reply.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).uppercased()
        let words = folded.split { !$0.isLetter && !$0.isNumber }.joined(separator: " ")
        if ReplyKeyword.stopWords.contains(words) {
            self = .stop
        } else if ReplyKeyword.startWords.contains(words) {
            self = .start
        } else {
            self = .other
        }
    }
}

import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RelanceCore

/// Where and how email is submitted: `RELANCE_SMTP_URL`.
///
/// - `smtps://USER:PASSWORD@HOST[:465]`: TLS from the first byte (implicit TLS).
/// - `smtp://USER:PASSWORD@HOST[:587]`: STARTTLS, required: a server that does not offer it is refused.
/// - `smtp://HOST:25?tls=none`: a relay on the same machine or network, in clear, without credentials.
///
/// User and password are percent-decoded. Credentials never travel without TLS.
public struct SMTPConfiguration: Sendable {
    public enum Security: String, Sendable { case implicitTLS = "tls", startTLS = "starttls", none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The envelope sender and `From` address.
    public var from: String
    /// The name given in `EHLO`: `?ehlo=`, else the domain of the sender address.
    public var heloName: String
    /// A PEM file of certificates to trust besides the system's (a private CA).
    public var caFile: String?
    /// For each reply of the server.
    public var timeout: Duration
    /// For the reply after the message itself, which servers may take minutes to scan.
    public var dataTimeout: Duration

    public init(
        url: String, from: String, caFile: String? = nil, timeout: Duration = .seconds(30),
        dataTimeout: Duration? = nil
    ) throws(SMTPError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { throw .configuration("RELANCE_SMTP_URL must look like smtp://user:password@host:587") }
        let tls = components.queryItems?.first(where: { $0.name == "tls" })?.value
        switch (scheme, tls) {
        case ("smtps", nil): security = .implicitTLS
        case ("smtp", nil), ("smtp", "starttls"): security = .startTLS
        case ("smtp", "none"): security = .none
        default:
            throw .configuration("RELANCE_SMTP_URL: use smtps://, smtp:// (STARTTLS) or smtp://…?tls=none")
        }
        self.host = host
        port = components.port ?? (security == .implicitTLS ? 465 : security == .startTLS ? 587 : 25)
        username = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        if username != nil && security == .none {
            throw .configuration("RELANCE_SMTP_URL: a password is never sent without TLS; drop tls=none")
        }
        guard EmailAddress.isValid(from) else {
            throw .configuration("RELANCE_SMTP_FROM '\(from)' is not an email address")
        }
        self.from = from
        let ehlo =
            components.queryItems?.first(where: { $0.name == "ehlo" })?.value
            ?? from.split(separator: "@").last.map(String.init) ?? "localhost"
        guard !ehlo.isEmpty, ehlo.utf8.count <= 253,
            ehlo.utf8.allSatisfy({
                $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || (isalnum(Int32($0)) != 0 && $0 < 128)
            })
        else { throw .configuration("RELANCE_SMTP_URL: ehlo must be a host name") }
        heloName = ehlo
        self.caFile = caFile
        self.timeout = timeout
        self.dataTimeout = dataTimeout ?? timeout * 10
    }

    /// The URL without its password, for logs and the settings page.
    public var redacted: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let user = username.map { "\($0):***@" } ?? ""
        return "\(scheme)://\(user)\(host):\(port)" + (security == .none ? "?tls=none" : "")
    }
}

/// What went wrong talking to the server, sorted by whether trying again can help.
public enum SMTPError: Error, Equatable, CustomStringConvertible {
    case configuration(String)
    /// The server refused this message for good (5xx at RCPT or DATA): a bad recipient, a message
    /// it will never take.
    case permanent(String)
    /// Worth another try: 4xx, connection refused or cut, timeout, TLS trouble, bad credentials.
    case transient(String)
    /// The message was handed over (the final dot written) but no answer came: the server may have
    /// queued it. Sending again could deliver it twice, so nothing is retried automatically.
    case uncertain(String)

    public var description: String {
        switch self {
        case .configuration(let text), .permanent(let text), .transient(let text), .uncertain(let text): text
        }
    }
}

/// One SMTP submission per message: greeting, EHLO, STARTTLS and EHLO again, AUTH, MAIL, RCPT,
/// DATA, QUIT (RFC 5321, 3207, 4954). Small enough to read whole, which is why it is ours: no SMTP
/// client package is available to this project, and SwiftNIO with NIOSSL carries the bytes and TLS.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    let tls: NIOSSLContext?

    public init(configuration: SMTPConfiguration) throws {
        self.configuration = configuration
        if configuration.security == .none {
            tls = nil
        } else {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if let caFile = configuration.caFile { tlsConfiguration.additionalTrustRoots = [.file(caFile)] }
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        }
    }

    /// Submits `message`; returns the server's answer to the data (its queue id, usually). Each reply
    /// is awaited at most `configuration.timeout`, the one after the data `dataTimeout` (RFC 5321
    /// §4.5.3.2 allows servers minutes to scan a message).
    public func send(_ message: EmailMessage) async throws(SMTPError) -> String {
        let progress = Progress()
        do {
            return try await converse(message, progress: progress)
        } catch let error as SMTPError {
            throw error
        } catch {
            let text: String
            switch error {
            case let error as NIOSSLError: text = "TLS: \(error)"
            case let error as BoringSSLError: text = "TLS: \(error)"
            case let error as IOError: text = "connection: \(error.description)"
            default: text = "\(error)"
            }
            throw progress.dataSent ? .uncertain("after the message was sent: \(text)") : .transient(text)
        }
    }

    /// Whether the final dot has gone out: from then on a lost answer means "perhaps delivered".
    final class Progress: @unchecked Sendable {
        var dataSent = false
    }

    private func converse(_ message: EmailMessage, progress: Progress) async throws -> String {
        let host = configuration.host
        let implicit = configuration.security == .implicitTLS ? tls : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicit {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: implicit, serverHostname: Self.sniName(host)))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var session = Session(
                inbound: inbound.makeAsyncIterator(), outbound: outbound, channel: channel.channel,
                timeout: configuration.timeout)
            try await session.expect(220, "greeting")
            var capabilities = try await session.command("EHLO \(configuration.heloName)", expect: 250)
            if configuration.security == .startTLS, let tls {
                guard capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                    throw SMTPError.transient("the server does not offer STARTTLS; refusing to send in clear")
                }
                _ = try await session.command("STARTTLS", expect: 220)
                // Anything already received was sent in clear after the 220: an injection (RFC 3207 §5).
                guard session.pending.readableBytes == 0 else {
                    throw SMTPError.transient("the server sent data in clear after STARTTLS; connection dropped")
                }
                let raw = channel.channel
                try await raw.eventLoop.submit {
                    try raw.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(host)), position: .first)
                }.get()
                do {
                    capabilities = try await session.command("EHLO \(configuration.heloName)", expect: 250)
                } catch let error as SMTPError {
                    throw error
                } catch {
                    // The handshake failed and closed the connection before the first encrypted command.
                    throw SMTPError.transient(
                        "TLS handshake failed (\(error)); is the server's certificate trusted? See RELANCE_SMTP_CA_FILE"
                    )
                }
            }
            if let username = configuration.username {
                let mechanisms =
                    capabilities.first { $0.uppercased().hasPrefix("AUTH ") }?.uppercased()
                    .split(separator: " ").dropFirst().map(String.init) ?? []
                let password = configuration.password ?? ""
                if mechanisms.contains("PLAIN") {
                    let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                    _ = try await session.command("AUTH PLAIN \(token)", expect: 235, secret: true)
                } else if mechanisms.contains("LOGIN") {
                    _ = try await session.command("AUTH LOGIN", expect: 334)
                    _ = try await session.command(Data(username.utf8).base64EncodedString(), expect: 334, secret: true)
                    _ = try await session.command(Data(password.utf8).base64EncodedString(), expect: 235, secret: true)
                } else {
                    throw SMTPError.transient("the server offers no AUTH PLAIN or LOGIN")
                }
            }
            _ = try await session.command("MAIL FROM:<\(message.fromAddress)>", expect: 250)
            _ = try await session.command("RCPT TO:<\(message.to)>", expect: 250, orAlso: 251, recipient: true)
            _ = try await session.command("DATA", expect: 354, aboutThisMessage: true)
            try await session.write(Self.dotStuffed(message.rendered()))
            progress.dataSent = true
            let answer: [String]
            do {
                answer = try await session.expect(
                    250, "message data", aboutThisMessage: true, timeout: configuration.dataTimeout, keepFirst: true)
            } catch SMTPError.transient(let reason) {
                throw SMTPError.uncertain("after the message was sent: \(reason)")
            }
            // Done: QUIT is a courtesy, its answer is not awaited.
            try? await session.write("QUIT\r\n")
            return answer.joined(separator: " ")
        }
    }

    /// Lines starting with "." get another in front (RFC 5321 §4.5.2); the data ends with CRLF.CRLF.
    static func dotStuffed(_ rendered: String) -> String {
        var body = rendered.hasSuffix("\r\n") ? rendered : rendered + "\r\n"
        if body.hasPrefix(".") { body = "." + body }
        return body.replacingOccurrences(of: "\r\n.", with: "\r\n..") + ".\r\n"
    }

    /// TLS server names are host names, not addresses.
    static func sniName(_ host: String) -> String? {
        host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
    }

    /// Whether a refusal at RCPT is about this recipient (give up) rather than about us (try again):
    /// 550, 551 and 553 are, unless they are policy (5.7.x: relaying, authentication); 552 is
    /// temporary by RFC 5321 §4.5.3.1.10.
    static func refusesRecipient(_ code: Int, _ text: String) -> Bool {
        [550, 551, 553].contains(code) && !text.hasPrefix("5.7.")
    }

    /// The conversation: commands out, multi-line replies in, each reply awaited for a limited time.
    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        let channel: any NIOCore.Channel
        let timeout: Duration
        var pending = ByteBuffer()

        mutating func write(_ text: String) async throws {
            try await outbound.write(ByteBuffer(string: text))
        }

        /// Sends a command and checks the reply code; returns the reply's lines after the first (EHLO
        /// capabilities). A secret command is never quoted in an error. A 5xx is a permanent failure
        /// only where it concerns this message (`DATA`, or `RCPT` refusing the recipient); refused
        /// credentials, sender or greeting are the configuration's fault, and retried like a 4xx.
        mutating func command(
            _ line: String, expect code: Int, orAlso other: Int? = nil, secret: Bool = false,
            aboutThisMessage: Bool = false, recipient: Bool = false
        ) async throws -> [String] {
            try await write(line + "\r\n")
            let what = secret ? String(line.prefix(while: { $0 != " " })) + " …" : line
            return try await expect(code, what, orAlso: other, aboutThisMessage: aboutThisMessage, recipient: recipient)
        }

        @discardableResult
        mutating func expect(
            _ code: Int, _ what: String, orAlso other: Int? = nil, aboutThisMessage: Bool = false,
            recipient: Bool = false, timeout: Duration? = nil, keepFirst: Bool = false
        ) async throws -> [String] {
            let (replyCode, lines) = try await reply(what: what, timeout: timeout ?? self.timeout)
            guard replyCode == code || replyCode == other else {
                let text = "\(what): \(replyCode) \(lines.joined(separator: " "))"
                let permanent =
                    replyCode >= 500
                    && (recipient ? SMTPClient.refusesRecipient(replyCode, lines.first ?? "") : aboutThisMessage)
                throw permanent ? SMTPError.permanent(text) : SMTPError.transient(text)
            }
            return keepFirst ? lines : Array(lines.dropFirst())
        }

        /// One reply; the connection is closed when it does not come in time.
        private mutating func reply(what: String, timeout: Duration) async throws -> (code: Int, lines: [String]) {
            let fired = Progress()
            let channel = self.channel
            let seconds = timeout.components.seconds
            let timer = channel.eventLoop.scheduleTask(in: .seconds(seconds)) {
                fired.dataSent = true
                channel.close(promise: nil)
            }
            defer { timer.cancel() }
            var lines: [String] = []
            var replyCode = 0
            do {
                while true {
                    let line = try await readLine()
                    guard line.utf8.count >= 3, let lineCode = Int(line.prefix(3)) else {
                        throw SMTPError.transient("unreadable answer to \(what): \(line.prefix(80))")
                    }
                    replyCode = lineCode
                    lines.append(String(line.dropFirst(4)))
                    if line.utf8.count == 3 || line.dropFirst(3).first != "-" { break }
                }
            } catch  where fired.dataSent {
                throw SMTPError.transient("no answer to \(what) within \(seconds) s")
            }
            return (replyCode, lines)
        }

        private mutating func readLine() async throws -> String {
            while true {
                if let index = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let length = index - pending.readerIndex + 1
                    // Bytes, not Characters: in a Swift String "\r\n" is one Character.
                    var bytes = pending.readBytes(length: length) ?? []
                    while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
                    return String(decoding: bytes, as: UTF8.self)
                }
                guard pending.readableBytes < 64 * 1024 else { throw SMTPError.transient("answer line too long") }
                guard var next = try await inbound.next() else {
                    throw SMTPError.transient("the SMTP server closed the connection")
                }
                pending.writeBuffer(&next)
            }
        }
    }
}

/// Sends email reminders through an SMTP server.
public struct SMTPEmailProvider: MessageProvider {
    public let name = "smtp"
    let client: SMTPClient
    /// The business's name for `From` and its address for `Reply-To`, read at each send.
    let sender: @Sendable () async -> (name: String, replyTo: String?)

    public init(client: SMTPClient, sender: @escaping @Sendable () async -> (name: String, replyTo: String?)) {
        self.client = client
        self.sender = sender
    }

    public func send(_ message: ClaimedMessage) async -> SendResult {
        guard EmailAddress.isValid(message.recipient) else {
            return .permanentFailure(provider: name, reason: "'\(message.recipient)' is not an email address")
        }
        let from = await sender()
        let domain = client.configuration.from.split(separator: "@").last.map(String.init) ?? "relance.localhost"
        // The same id on every attempt, so a server that got a copy already can drop the next; the
        // hash keeps two installations' message 42 apart.
        let salt = Crypto.sha256Hex(client.configuration.from + " " + message.recipient).prefix(10)
        let messageID = "relance.\(message.id).\(salt)@\(domain)"
        let email = EmailMessage(
            fromAddress: client.configuration.from, fromName: from.name, to: message.recipient,
            replyTo: from.replyTo.flatMap { EmailAddress.isValid($0) ? $0 : nil },
            subject: message.subject ?? from.name,
            text: message.body, html: message.html, unsubscribeURL: message.unsubscribeURL, messageID: messageID,
            date: Date())
        do {
            _ = try await client.send(email)
            return .accepted(provider: name, providerID: messageID)
        } catch .permanent(let reason) {
            return .permanentFailure(provider: name, reason: reason)
        } catch .uncertain(let reason) {
            return .uncertain(provider: name, reason: reason)
        } catch {
            return .transientFailure(provider: name, reason: error.description)
        }
    }
}

/// Writes each email's recipient, subject and text instead of sending it: the demo's and the default.
public struct ConsoleEmailProvider: MessageProvider {
    public let name = "console"
    let write: @Sendable (String) -> Void

    public init(
        write: @escaping @Sendable (String) -> Void = { text in
            print(text); fflush(nil)
        }
    ) {
        self.write = write
    }

    public func send(_ message: ClaimedMessage) async -> SendResult {
        write("[console email] to \(message.recipient): \(message.subject ?? "")\n\(message.body)")
        return .accepted(provider: name, providerID: "console-email-\(message.id)")
    }
}

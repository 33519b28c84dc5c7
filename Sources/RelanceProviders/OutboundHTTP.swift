import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RelanceCore

/// One outbound HTTP exchange under one deadline that covers everything: connecting, sending, the
/// answer's head and its body. AsyncHTTPClient's own deadline stops at the head, so a receiver that
/// answers at once and then trickles its body a byte at a time could hold a sender for minutes.
public enum OutboundHTTP {
    /// What came back. `complete` is false when the deadline or the size limit cut the body short:
    /// the status is still the receiver's word.
    public struct Answer: Sendable {
        public var status: Int
        public var body: ByteBuffer
        public var complete: Bool

        /// The body as a JSON object, or empty when it is not one (cut short, an HTML error page).
        public var jsonObject: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        }
    }

    /// The deadline passed before the answer's head arrived.
    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String { "no answer within the time allowed" }
        public init() {}
    }

    /// Sends `request` and reads at most `bodyLimit` bytes of the answer, all within `deadline`.
    public static func exchange(
        _ request: HTTPClientRequest, client: HTTPClient, deadline: Duration, bodyLimit: Int = 64 * 1024
    ) async throws -> Answer {
        let progress = Progress()
        return try await withThrowingTaskGroup(of: Answer?.self) { group in
            group.addTask {
                // AsyncHTTPClient's own deadline is kept as a backstop for the head.
                let response = try await client.execute(request, timeout: deadline.timeAmount)
                progress.head(Int(response.status.code))
                do {
                    for try await chunk in response.body {
                        if progress.append(chunk, limit: bodyLimit) { break }
                    }
                } catch {
                    // The status is the receiver's word; a body cut short after it changes nothing.
                    return progress.answer(complete: false)
                }
                return progress.answer(complete: !progress.truncated)
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            // The first to finish wins: the exchange, or the deadline (nil).
            if let first = try await group.next(), let answer = first { return answer }
            if let answer = progress.answerIfHeadArrived() { return answer }
            throw TimedOut()
        }
    }

    /// What the exchange has received so far, shared with the deadline's side.
    private final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private var status: Int?
        private var body = ByteBuffer()
        private(set) var truncated = false

        func head(_ code: Int) { lock.withLock { status = code } }

        /// Adds a chunk; true when the limit is reached and reading should stop.
        func append(_ chunk: ByteBuffer, limit: Int) -> Bool {
            lock.withLock {
                var chunk = chunk
                let room = max(0, limit - body.readableBytes)
                if chunk.readableBytes > room {
                    truncated = true
                    if let part = chunk.readSlice(length: room) { body.writeImmutableBuffer(part) }
                    return true
                }
                body.writeBuffer(&chunk)
                return false
            }
        }

        func answer(complete: Bool) -> Answer {
            lock.withLock { Answer(status: status ?? 0, body: body, complete: complete) }
        }

        func answerIfHeadArrived() -> Answer? {
            lock.withLock { status.map { Answer(status: $0, body: body, complete: false) } }
        }
    }

    /// The client for SMS gateways (Kannel, Twilio): a connection that cannot be made fails at once or
    /// within 2 s, never by waiting out the whole deadline, so a deadline that passes means the request
    /// was sent and its fate is unknown (`neverSent` tells the two apart).
    public static let gatewayClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(2)))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Whether `error` happened before a request could have left: no connection was made (refused,
    /// unreachable, timed out while connecting). Anything else may have reached the other side.
    /// A reset or a closed connection may come after the request was written (a proxy, a NAT, a server
    /// closing with unread data): those are not "never sent".
    public static func neverSent(_ error: Error) -> Bool {
        switch error {
        case is NIOConnectionError, is DestinationRefused: return true
        case let error as HTTPClientError:
            return error == .connectTimeout || error == .tlsHandshakeTimeout || error == .invalidURL
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as NIOSSLError:
            // The handshake comes before any byte of the request.
            if case .handshakeFailed = error { return true }
            return false
        case let error as IOError:
            return error.errnoCode == ECONNREFUSED
        default: return false
        }
    }

    /// What a gateway's failed exchange means for the message: never sent, it may be tried again; otherwise
    /// the gateway may have taken the text, and sending it again could text the customer twice, so the
    /// message is uncertain and waits for its delivery report or a person instead.
    public static func sendFailure(_ error: Error, provider: String, gateway: String) -> SendResult {
        if neverSent(error) {
            return .transientFailure(provider: provider, reason: "\(gateway) unreachable: " + category(of: error))
        }
        return .uncertain(provider: provider, reason: "\(gateway) did not answer: " + category(of: error))
    }

    /// A short word for what went wrong, for logs and delivery records: never the remote's own text,
    /// which a receiver controls and could fill with anything.
    public static func category(of error: Error) -> String {
        switch error {
        case let refused as DestinationRefused: return refused.description
        case is TimedOut: return "timed out"
        case is NIOSSLError, is BoringSSLError: return "TLS error"
        case is NIOConnectionError: return "connection refused"
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded, .writeTimeout: return "timed out"
            case .remoteConnectionClosed: return "connection closed"
            case .tlsHandshakeTimeout: return "TLS error"
            default: return "HTTP error"
            }
        case is ChannelError: return "connection failed"
        case is IOError: return "network error"
        default: return "network error"
        }
    }
}

/// A URL chosen through the API, read once and the way AsyncHTTPClient reads it (`URL.host`), so the name
/// that is checked, the name the connection is pinned for and the name the client connects to are one.
/// (Foundation's `URLComponents.host` gives a Unicode host where `URL.host` gives its `xn--` form: keyed
/// by the one, a pin would miss the other and the client would look the name up again.)
public struct OutboundTarget: Sendable, Equatable {
    /// `http` or `https`.
    public let scheme: String
    /// As the client connects to it: letters, digits, `-`, `_`, `.`, or an IPv6 literal without brackets.
    public let host: String
    public let port: Int
    /// The address, when the host is written as one.
    public let literal: IPAddress?
    public let hasCredentials: Bool
    public let hasFragment: Bool

    public init?(url: String) {
        guard url.utf8.count <= 2000, !PlainText.hasControlCharacters(url), let parsed = URL(string: url),
            let scheme = parsed.scheme?.lowercased(), scheme == "https" || scheme == "http",
            var host = parsed.host, !host.isEmpty
        else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // Only plain ASCII hosts: anything a reader might map to another name is not a destination.
        guard
            host.utf8.allSatisfy({
                ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46
                    || $0 == 58 || $0 == 95
            })
        else { return nil }
        let port = parsed.port ?? (scheme == "https" ? 443 : 80)
        guard port >= 1 && port <= 65_535 else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = port
        literal = IPAddress.parse(host)
        hasCredentials = parsed.user != nil || parsed.password != nil
        hasFragment = parsed.fragment != nil
    }

    /// The host as a resolver treats it: lower case, without the trailing dot of a fully qualified name.
    public var name: String {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }
}

/// Which addresses outbound requests to URLs chosen through the API (webhook endpoints) may reach.
public struct DestinationPolicy: Sendable {
    /// Loopback and private networks too (`RELANCE_WEBHOOKS_ALLOW_PRIVATE=1`): an intranet receiver.
    public var allowPrivate: Bool

    public init(allowPrivate: Bool = false) { self.allowPrivate = allowPrivate }

    /// Resolves `host` once and checks every address it has; the first is where the connection goes,
    /// so the name is not looked up a second time (a second answer could point inside). A lookup that
    /// takes longer than `deadline` is given up (its thread finishes on its own).
    public func resolve(host: String, port: Int, deadline: Duration) async throws -> IPAddress {
        try await withThrowingTaskGroup(of: IPAddress?.self) { group in
            group.addTask { try await resolve(host: host, port: port) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let address = first else { throw OutboundHTTP.TimedOut() }
            return address
        }
    }

    /// Resolves `host` once and checks every address it has (no deadline).
    public func resolve(host: String, port: Int) async throws -> IPAddress {
        var name = host
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        let addresses: [IPAddress]
        if let literal = IPAddress.parse(name) {
            addresses = [literal]
        } else {
            addresses = try await DestinationPolicy.lookUp(name, port: port)
        }
        guard let first = addresses.first else { throw DestinationRefused(reason: "name not resolved") }
        if !allowPrivate, let kind = addresses.lazy.compactMap(\.nonPublicKind).first {
            throw DestinationRefused(reason: "refused: \(kind) address")
        }
        return first.unmapped
    }

    /// Lookups block a thread each and cannot be cancelled: they get threads of their own, so a slow
    /// name server holds up only other lookups, never the server's other work.
    static let lookups: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// Every address getaddrinfo gives for `name`, on a lookup thread (it blocks).
    static func lookUp(_ name: String, port: Int) async throws -> [IPAddress] {
        guard !name.isEmpty, name.utf8.count <= 253 else { throw DestinationRefused(reason: "name not resolved") }
        return try await DestinationPolicy.lookups.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(name, String(port), &hints, &list) == 0, let list else {
                throw DestinationRefused(reason: "name not resolved")
            }
            defer { freeaddrinfo(list) }
            var found: [IPAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = list
            while let entry = cursor {
                if let socketAddress = entry.pointee.ai_addr {
                    switch Int32(socketAddress.pointee.sa_family) {
                    case AF_INET:
                        socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                            let raw = $0.pointee.sin_addr.s_addr
                            found.append(.v4(withUnsafeBytes(of: raw) { Array($0) }))
                        }
                    case AF_INET6:
                        socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                            let raw = $0.pointee.sin6_addr
                            found.append(.v6(withUnsafeBytes(of: raw) { Array($0) }))
                        }
                    default: break
                    }
                }
                cursor = entry.pointee.ai_next
            }
            return found
        }
    }
}

/// A destination refused before any connection: not resolvable, or not a public address.
public struct DestinationRefused: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
    public init(reason: String) { self.reason = reason }
}

extension Duration {
    /// The same span as NIO counts it.
    public var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(
            seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue + attoseconds / 1_000_000_000)
    }
}

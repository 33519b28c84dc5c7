import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// What a business can subscribe to.
public enum WebhookEventType: String, CaseIterable, Sendable, Codable {
    case invoicePaid = "invoice.paid"
    case invoiceVoided = "invoice.voided"
    case paymentCreated = "payment.created"
    case requestCreated = "request.created"
    case messageFailed = "message.failed"
    case customerOptedOut = "customer.opted_out"
    case planBroken = "plan.broken"
}

/// A subscription: where to POST which events, signed with its own secret.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: Int64
    public var url: String
    /// Event types, or `["*"]` for all.
    public var events: [String]
    public var description: String?
    public var createdAt: Date
    public var disabledAt: Date?
    /// The signing secret (`whsec_…`), only when it was just made (creation, rotation), to be shown
    /// once; otherwise empty. The database holds it sealed (`SecretBox`).
    public var secret: String

    /// The subscription as the API shows it: never its stored secret.
    init(_ endpoint: WebhookEndpointRecord) throws {
        id = try endpoint.storedID()
        url = endpoint.url
        events = endpoint.events.split(separator: ",").map(String.init)
        description = endpoint.description
        createdAt = endpoint.createdAt
        disabledAt = endpoint.disabledAt
        secret = ""
    }
}

/// One event on its way to one endpoint, with every attempt made.
public struct WebhookDelivery: Sendable, Equatable {
    public struct Attempt: Sendable, Equatable {
        public var at: Date
        public var statusCode: Int?
        public var error: String?
        public var milliseconds: Int
    }

    public var id: Int64
    public var eventID: Int64
    public var endpointID: Int64
    public var type: String
    public var status: WebhookDeliveryStatus
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
    public var attemptLog: [Attempt] = []

    /// The delivery as the API shows it, with its event's type; its attempts are added by the caller.
    init(_ delivery: WebhookDeliveryRecord, type: String) throws {
        id = try delivery.storedID()
        eventID = delivery.eventID
        endpointID = delivery.endpointID
        self.type = type
        status = delivery.status
        attempts = delivery.attempts
        nextAttemptAt = delivery.nextAttemptAt
        lastError = delivery.lastError
        createdAt = delivery.createdAt
        deliveredAt = delivery.deliveredAt
    }
}

/// A delivery being posted right now cannot be replayed until its answer is recorded.
public enum WebhookReplayError: Error, Equatable, Sendable {
    case inFlight
}

extension Store {
    /// Gives up on a delivery after this many attempts: about a day and a half of retries.
    public static let maximumWebhookAttempts = 8

    /// Seconds to wait after failed attempt `n` (1-based): 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h.
    public static func webhookBackoff(afterAttempt attempt: Int) -> TimeInterval {
        let steps: [TimeInterval] = [60, 300, 1_800, 7_200, 18_000, 36_000, 86_400]
        return steps[min(max(attempt, 1), steps.count) - 1]
    }

    static func webhooksMigration(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE webhook_endpoint (
                    id INTEGER PRIMARY KEY,
                    url TEXT NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
                    events TEXT NOT NULL CHECK (length(events) BETWEEN 1 AND 500),
                    description TEXT CHECK (description IS NULL OR length(description) <= 200),
                    secret TEXT NOT NULL,
                    -- After a rotation the old secret signs too, for a day, so receivers can switch over.
                    previous_secret TEXT,
                    previous_secret_until TEXT,
                    created_at TEXT NOT NULL,
                    disabled_at TEXT
                );

                -- An event is written in the same transaction as the change it reports (an outbox), so
                -- a change is never lost nor reported when it was rolled back.
                CREATE TABLE webhook_event (
                    id INTEGER PRIMARY KEY,
                    type TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    created_at TEXT NOT NULL
                );

                CREATE TABLE webhook_delivery (
                    id INTEGER PRIMARY KEY,
                    event_id INTEGER NOT NULL REFERENCES webhook_event (id),
                    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoint (id),
                    status TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at TEXT,
                    last_error TEXT,
                    created_at TEXT NOT NULL,
                    delivered_at TEXT,
                    UNIQUE (event_id, endpoint_id)
                );
                CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending';
                CREATE INDEX webhook_delivery_endpoint ON webhook_delivery (endpoint_id, id);

                CREATE TABLE webhook_attempt (
                    id INTEGER PRIMARY KEY,
                    delivery_id INTEGER NOT NULL REFERENCES webhook_delivery (id),
                    at TEXT NOT NULL,
                    status_code INTEGER,
                    error TEXT,
                    milliseconds INTEGER NOT NULL
                );
                CREATE INDEX webhook_attempt_delivery ON webhook_attempt (delivery_id, id);
                """)
    }

    // MARK: - Subscriptions

    public func createWebhookEndpoint(
        url: String, events: [String], description: String?, now: Date, audit: AuditNote? = nil
    ) async throws
        -> WebhookEndpoint
    {
        let secret = "whsec_" + Base64URL.encode(Crypto.randomBytes(24))
        let sealed = try sealSecret(secret)
        var endpoint = try await write(audit: audit) { db in
            try db.execute(
                sql: """
                    INSERT INTO webhook_endpoint (url, events, description, secret, created_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [url, events.joined(separator: ","), description, sealed, now])
            let id = db.lastInsertedRowID
            return try Store.webhookEndpoint(db, id: id)
        }
        endpoint.secret = secret
        return endpoint
    }

    public func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await pool.read { db in
            try WebhookEndpointRecord.filter(WebhookEndpointRecord.Columns.disabledAt == nil)
                .order(WebhookEndpointRecord.Columns.id)
                .fetchAll(db)
                .map { try WebhookEndpoint($0) }
        }
    }

    public func webhookEndpoint(id: Int64) async throws -> WebhookEndpoint {
        try await pool.read { db in try Store.webhookEndpoint(db, id: id) }
    }

    static func webhookEndpoint(_ db: Database, id: Int64) throws -> WebhookEndpoint {
        guard let endpoint = try WebhookEndpointRecord.fetchOne(db, key: id), endpoint.disabledAt == nil else {
            throw StoreError.notFound("webhook endpoint \(id)")
        }
        return try WebhookEndpoint(endpoint)
    }

    /// A new signing secret; the old one goes on signing beside it for a day (`v1=` twice), so a
    /// receiver can switch without missing an event.
    public func rotateWebhookSecret(id: Int64, now: Date, audit: AuditNote? = nil) async throws -> WebhookEndpoint {
        let secret = "whsec_" + Base64URL.encode(Crypto.randomBytes(24))
        let sealed = try sealSecret(secret)
        var endpoint = try await write(audit: audit) { db in
            _ = try Store.webhookEndpoint(db, id: id)
            try db.execute(
                sql: """
                    UPDATE webhook_endpoint SET previous_secret = secret, previous_secret_until = ?, secret = ?
                    WHERE id = ?
                    """, arguments: [now.addingTimeInterval(86_400), sealed, id])
            return try Store.webhookEndpoint(db, id: id)
        }
        endpoint.secret = secret
        return endpoint
    }

    /// Stops an endpoint: nothing more is sent to it, and what was waiting is marked failed.
    public func deleteWebhookEndpoint(id: Int64, now: Date, audit: AuditNote? = nil) async throws {
        try await write(audit: audit) { db in
            _ = try Store.webhookEndpoint(db, id: id)
            try db.execute(sql: "UPDATE webhook_endpoint SET disabled_at = ? WHERE id = ?", arguments: [now, id])
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET status = ?, next_attempt_at = NULL, last_error = 'endpoint removed'
                    WHERE endpoint_id = ? AND status = ?
                    """, arguments: [WebhookDeliveryStatus.failed, id, WebhookDeliveryStatus.pending])
        }
    }

    // MARK: - Events

    /// Records an event for every active endpoint subscribed to its type, in the caller's transaction.
    /// Without a subscriber nothing is written.
    static func emit(_ db: Database, _ type: WebhookEventType, _ data: [String: Any], now: Date) throws {
        let endpoints = try WebhookEndpointRecord.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM webhook_endpoint WHERE disabled_at IS NULL")
        ).filter { endpoint in
            endpoint.events.split(separator: ",").contains { $0 == "*" || $0 == type.rawValue }
        }
        guard !endpoints.isEmpty else { return }
        try db.execute(
            sql: "INSERT INTO webhook_event (type, payload, created_at) VALUES (?, '', ?)", arguments: [type, now])
        let eventID = db.lastInsertedRowID
        let envelope: [String: Any] = [
            "id": "evt_\(eventID)", "type": type.rawValue, "created_at": Instant.format(now), "data": data,
        ]
        let payload = String(
            decoding: try JSONSerialization.data(
                withJSONObject: envelope, options: [.sortedKeys, .withoutEscapingSlashes]),
            as: UTF8.self)
        try db.execute(sql: "UPDATE webhook_event SET payload = ? WHERE id = ?", arguments: [payload, eventID])
        // A new event for an endpoint that is being retried waits with its other deliveries.
        for endpoint in endpoints {
            let endpointID = try endpoint.storedID()
            try db.execute(
                sql: """
                    INSERT INTO webhook_delivery (event_id, endpoint_id, next_attempt_at, created_at)
                    VALUES (?1, ?2, MAX(?3, COALESCE((
                        SELECT MAX(next_attempt_at) FROM webhook_delivery WHERE endpoint_id = ?2 AND status = 'pending'
                    ), ?3)), ?3)
                    """, arguments: [eventID, endpointID, now])
        }
    }

    /// The part of an event that describes an invoice, as the API shows it.
    static func invoiceData(_ db: Database, invoiceID: Int64) throws -> [String: Any] {
        let invoice = try Store.invoice(db, id: invoiceID)
        let customerRef = try CustomerTableRecord.fetchOne(db, key: invoice.customerID)?.externalRef
        return [
            "id": invoice.id, "number": invoice.number, "status": invoice.status.rawValue,
            "currency": invoice.amount.currency.code, "amount": invoice.amount.minorUnits, "paid": invoice.paid,
            "balance": invoice.balance.minorUnits, "due_on": invoice.dueOn.iso,
            "external_ref": invoice.externalRef as Any? ?? NSNull(),
            "paid_at": invoice.paidAt.map(Instant.format) as Any? ?? NSNull(),
            "voided_at": invoice.voidedAt.map(Instant.format) as Any? ?? NSNull(),
            "customer": [
                "id": invoice.customerID, "name": invoice.customerName,
                "external_ref": customerRef as Any? ?? NSNull(),
            ] as [String: Any],
        ]
    }

    static func emitInvoiceEvent(
        _ db: Database, _ type: WebhookEventType, invoiceID: Int64, extra: [String: Any] = [:], now: Date
    )
        throws
    {
        guard try hasSubscribers(db) else { return }
        var data: [String: Any] = ["invoice": try invoiceData(db, invoiceID: invoiceID)]
        data.merge(extra) { $1 }
        try emit(db, type, data, now: now)
    }

    /// Cheap test before building a payload nobody will receive.
    static func hasSubscribers(_ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM webhook_endpoint WHERE disabled_at IS NULL)"))
            ?? false
    }

    /// Reports a message that became `failed`, with what it was about.
    static func emitMessageFailed(_ db: Database, messageID: Int64, reason: String, now: Date) throws {
        guard try hasSubscribers(db), let message = try MessageRecord.fetchOne(db, key: messageID) else { return }
        let invoices = try Int64.fetchAll(
            db,
            sql: """
                SELECT invoice_id FROM reminder WHERE message_id = ?
                UNION SELECT invoice_id FROM message WHERE id = ? AND invoice_id IS NOT NULL
                """, arguments: [messageID, messageID])
        try emit(
            db, .messageFailed,
            [
                "message": [
                    "id": messageID, "kind": message.kind.rawValue, "channel": message.channel.rawValue,
                    "stage": message.stage as Any? ?? NSNull(), "recipient": message.recipient,
                    "error": reason, "customer_id": message.customerID, "invoice_ids": invoices,
                ] as [String: Any]
            ], now: now)
    }

    static func emitOptedOut(_ db: Database, customerID: Int64, channel: Channel, now: Date) throws {
        guard try hasSubscribers(db), let customer = try CustomerTableRecord.fetchOne(db, key: customerID) else {
            return
        }
        try emit(
            db, .customerOptedOut,
            [
                "customer": [
                    "id": customerID, "name": customer.name,
                    "external_ref": customer.externalRef as Any? ?? NSNull(),
                ] as [String: Any],
                "channel": channel.rawValue,
            ], now: now)
    }

    // MARK: - Delivery

    /// Takes the next delivery whose time has come and marks it `delivering`, committed before the POST.
    /// Endpoints in `busy` (one delivery already in flight) are passed over, so each endpoint gets its
    /// deliveries in order and a slow one holds up no other.
    public func claimNextDelivery(now: Date, busy: Set<Int64> = []) async throws -> ClaimedDelivery? {
        let placeholders = Array(repeating: "?", count: busy.count).joined(separator: ",")
        return try await pool.write { db in
            while true {
                guard
                    let row = try DeliveryClaim.fetchOne(
                        db,
                        sql: """
                            SELECT d.id, d.endpoint_id, d.event_id, d.attempts, e.url, e.secret, ev.payload,
                                CASE WHEN e.previous_secret_until > ? THEN e.previous_secret END AS previous_secret
                            FROM webhook_delivery d
                            JOIN webhook_endpoint e ON e.id = d.endpoint_id JOIN webhook_event ev ON ev.id = d.event_id
                            WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND e.disabled_at IS NULL
                                AND d.endpoint_id NOT IN (\(placeholders))
                            ORDER BY d.next_attempt_at, d.id LIMIT 1
                            """,
                        arguments: StatementArguments(
                            [now, now] + busy.sorted().map { $0 as any DatabaseValueConvertible }))
                else { return nil }
                let id = row.id
                // The secret before a rotation only signs beside the new one for a day: unreadable, it is left out.
                let previous = row.previousSecret.flatMap { try? openSecret($0) }
                guard let secret = try? openSecret(row.secret) else {
                    // Sealed under another instance secret: no delivery can be signed; this one is given up
                    // so the others are not held behind it.
                    try db.execute(
                        sql: """
                            UPDATE webhook_delivery SET status = 'failed', next_attempt_at = NULL,
                                last_error = 'the signing secret cannot be read with this instance secret'
                            WHERE id = ?
                            """, arguments: [id])
                    continue
                }
                try db.execute(
                    sql: "UPDATE webhook_delivery SET status = 'delivering', attempts = attempts + 1 WHERE id = ?",
                    arguments: [id])
                return ClaimedDelivery(
                    id: id, endpointID: row.endpointID, eventID: row.eventID, url: row.url, secret: secret,
                    previousSecret: previous, payload: row.payload, attempts: row.attempts + 1)
            }
        }
    }

    /// A row of the delivery claim's SELECT: the delivery, where it goes, how to sign it and what to post.
    struct DeliveryClaim: Decodable, FetchableRecord, SnakeCaseColumns {
        var id: Int64
        var endpointID: Int64
        var eventID: Int64
        var attempts: Int
        var url: String
        /// Sealed, as stored.
        var secret: String
        var payload: String
        /// The secret before a rotation, while it still signs beside the new one; sealed.
        var previousSecret: String?

    }

    /// Records one attempt: delivered on a 2xx, else tried again later until the attempts run out.
    public func recordDeliveryAttempt(
        deliveryID: Int64, attempts: Int, statusCode: Int?, error: String?, milliseconds: Int, now: Date
    ) async throws {
        try await pool.write { db in
            var attempt = WebhookAttemptRecord(
                deliveryID: deliveryID, at: now, statusCode: statusCode, error: error, milliseconds: milliseconds)
            try attempt.insert(db)
            if let statusCode, (200..<300).contains(statusCode) {
                try db.execute(
                    sql: """
                        UPDATE webhook_delivery SET status = ?, delivered_at = ?, next_attempt_at = NULL, last_error = NULL
                        WHERE id = ?
                        """, arguments: [WebhookDeliveryStatus.delivered, now, deliveryID])
                return
            }
            let reason = error ?? "HTTP \(statusCode ?? 0)"
            if attempts >= Store.maximumWebhookAttempts {
                try db.execute(
                    sql: "UPDATE webhook_delivery SET status = ?, next_attempt_at = NULL, last_error = ? WHERE id = ?",
                    arguments: [
                        WebhookDeliveryStatus.failed, "gave up after \(attempts) attempts: \(reason)", deliveryID,
                    ])
            } else {
                let retryAt = now.addingTimeInterval(Store.webhookBackoff(afterAttempt: attempts))
                try db.execute(
                    sql: """
                        UPDATE webhook_delivery SET status = ?, next_attempt_at = ?, last_error = ?
                        WHERE id = ? AND status = ?
                        """,
                    arguments: [
                        WebhookDeliveryStatus.pending, retryAt, reason, deliveryID, WebhookDeliveryStatus.delivering,
                    ])
                // An endpoint that just failed would most likely fail its other deliveries too: they wait
                // with this one (without counting an attempt), so a dead receiver is not called once per
                // event, and deliveries to the other endpoints are not held up behind its timeouts.
                try db.execute(
                    sql: """
                        UPDATE webhook_delivery SET next_attempt_at = ?
                        WHERE endpoint_id = (SELECT endpoint_id FROM webhook_delivery WHERE id = ?)
                            AND status = ? AND next_attempt_at < ? AND id != ?
                        """, arguments: [retryAt, deliveryID, WebhookDeliveryStatus.pending, retryAt, deliveryID])
            }
        }
    }

    /// At start-up: a POST cut by a crash may or may not have arrived; it is sent again (receivers
    /// dedupe by event id, as the documentation says).
    @discardableResult
    public func requeueInterruptedDeliveries(now: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE webhook_delivery SET status = ?, next_attempt_at = ? WHERE status = ?",
                arguments: [WebhookDeliveryStatus.pending, now, WebhookDeliveryStatus.delivering])
            return db.changesCount
        }
    }

    /// Sends a delivery again now, whatever became of it; its attempts so far stay in its log.
    public func replayDelivery(id: Int64, now: Date, audit: AuditNote? = nil) async throws -> WebhookDelivery {
        try await write(audit: audit) { db in
            guard
                let status = try WebhookDeliveryStatus.fetchOne(
                    db,
                    sql: """
                        SELECT d.status FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
                        WHERE d.id = ? AND e.disabled_at IS NULL
                        """, arguments: [id])
            else { throw StoreError.notFound("webhook delivery \(id)") }
            guard status != .delivering else { throw WebhookReplayError.inFlight }
            try db.execute(
                sql: """
                    UPDATE webhook_delivery SET status = ?, attempts = 0, next_attempt_at = ?, delivered_at = NULL
                    WHERE id = ?
                    """, arguments: [WebhookDeliveryStatus.pending, now, id])
            return try Store.delivery(db, id: id)
        }
    }

    static func delivery(_ db: Database, id: Int64) throws -> WebhookDelivery {
        guard
            let row = try DeliveryRow.fetchOne(
                db,
                sql: """
                    SELECT d.*, ev.type FROM webhook_delivery d JOIN webhook_event ev ON ev.id = d.event_id
                    WHERE d.id = ?
                    """, arguments: [id])
        else { throw StoreError.notFound("webhook delivery \(id)") }
        var delivery = try WebhookDelivery(row.delivery, type: row.event.type)
        delivery.attemptLog = try WebhookAttemptRecord.filter(WebhookAttemptRecord.Columns.deliveryID == id)
            .order(WebhookAttemptRecord.Columns.id)
            .fetchAll(db)
            .map {
                WebhookDelivery.Attempt(
                    at: $0.at, statusCode: $0.statusCode, error: $0.error, milliseconds: $0.milliseconds)
            }
        return delivery
    }

    /// A row of `delivery`'s SELECT: the delivery, and the type of the event it carries.
    struct DeliveryRow: FetchableRecord {
        struct Event: Decodable, FetchableRecord {
            /// As stored: an older type Relance no longer emits is still shown.
            var type: String
        }

        var delivery: WebhookDeliveryRecord
        var event: Event

        init(row: Row) throws {
            delivery = try WebhookDeliveryRecord(row: row)
            event = try Event(row: row)
        }
    }

    /// An endpoint's deliveries, newest first, a page at a time (`before` an id), with their attempts.
    public func deliveries(endpointID: Int64, status: WebhookDeliveryStatus?, before: Int64?, limit: Int) async throws
        -> [WebhookDelivery]
    {
        try await pool.read { db in
            _ = try Store.webhookEndpoint(db, id: endpointID)
            let ids = try Int64.fetchAll(
                db,
                sql: """
                    SELECT id FROM webhook_delivery
                    WHERE endpoint_id = ? AND (? IS NULL OR status = ?) AND (? IS NULL OR id < ?)
                    ORDER BY id DESC LIMIT ?
                    """, arguments: [endpointID, status, status, before, before, limit])
            return try ids.map { try Store.delivery(db, id: $0) }
        }
    }
}

extension Store {
    /// What webhook signing secrets are sealed for, bound into each sealed value.
    static let webhookSecretContext = "webhook signing secret"

    func sealSecret(_ secret: String) throws -> String {
        guard let secrets else { throw StoreError.secretsUnavailable }
        return secrets.seal(secret, context: Store.webhookSecretContext)
    }

    /// The secret in clear; a value stored in clear by an older version is taken as it is.
    func openSecret(_ stored: String) throws -> String {
        guard SecretBox.isSealed(stored) else { return stored }
        guard let secrets, let secret = secrets.open(stored, context: Store.webhookSecretContext) else {
            throw StoreError.secretsUnavailable
        }
        return secret
    }

    /// Seals every webhook secret an older version stored in clear.
    static func sealClearSecrets(_ pool: DatabasePool, _ box: SecretBox) throws {
        try pool.write { db in
            let endpoints = try WebhookEndpointRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM webhook_endpoint
                    WHERE secret NOT LIKE 'enc1:%' OR previous_secret NOT LIKE 'enc1:%'
                    """)
            for endpoint in endpoints {
                func sealed(_ value: String?) -> String? {
                    value.map { SecretBox.isSealed($0) ? $0 : box.seal($0, context: webhookSecretContext) }
                }
                let endpointID = try endpoint.storedID()
                try db.execute(
                    sql: "UPDATE webhook_endpoint SET secret = ?, previous_secret = ? WHERE id = ?",
                    arguments: [sealed(endpoint.secret), sealed(endpoint.previousSecret), endpointID])
            }
        }
    }
}

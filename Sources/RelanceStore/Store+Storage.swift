import Foundation
import GRDB
import RelanceCore
import RelanceServices

/// The SQLite store fills the storage interfaces the services and dispatchers are written against.
extension Store:
    OutboxStorage, SchedulerStorage, WebhookDeliveryStorage, SettingsStorage, SendNowStorage, InboundStorage,
    PaymentStorage, RequestStorage, ImportStorage, StorageHealth
{
    public func isStorageError(_ error: Error) -> Bool { Store.isDatabaseError(error) }
    public func engineMemoryUsed() -> Int64? { Store.sqliteMemoryUsed() }
}

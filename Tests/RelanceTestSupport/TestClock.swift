import Foundation
import RelanceCore

/// The one clock tests move: "it is the 3rd of March, 08:59 in Paris", then an hour later.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date

    public init(_ instant: Date) { self.instant = instant }

    public var now: Date {
        get { lock.withLock { instant } }
        set { lock.withLock { instant = newValue } }
    }

    /// Moves the clock on by `seconds`.
    public func advance(by seconds: TimeInterval) { lock.withLock { instant += seconds } }

    /// What the application reads the time from.
    public var clock: Clock { Clock { self.now } }
}

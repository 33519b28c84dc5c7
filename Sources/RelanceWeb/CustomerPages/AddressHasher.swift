import Foundation
import RelanceCore

/// Client addresses as the pages keep them: a short keyed hash, never the address itself.
struct AddressHasher: Sendable {
    let salt: HMACKey

    init(_ settings: WebSettings) { salt = HMACKey(settings.derivedKey("click-ip-hash")) }

    func hash(_ address: String) -> String { Crypto.hex(Array(salt.tag(Array(address.utf8)).prefix(8))) }
}

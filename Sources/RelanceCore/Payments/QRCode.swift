/// A QR code (ISO/IEC 18004) in byte mode at error-correction level M, versions 1 to 20: enough for an
/// EPC payment payload (at most 331 bytes, version 13). Written here because no QR library is among
/// the packages this project can build with; the steps follow the standard: data bits, Reed–Solomon
/// blocks over GF(256), interleaving, function patterns, zigzag placement, and the mask with the
/// lowest penalty.
public struct QRCode: Sendable, Equatable {
    public let version: Int
    public let size: Int
    public let mask: Int
    /// `modules[y][x]`, true for a dark module.
    public let modules: [[Bool]]

    // Error-correction codewords per block and number of blocks at level M, by version (index 0 unused).
    static let eccPerBlock = [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26]
    static let blockCount = [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16]

    /// The smallest code that holds `bytes`, or nil when they do not fit in version 20.
    public static func encode(_ bytes: [UInt8]) -> QRCode? {
        for version in 1...20 {
            let lengthBits = version <= 9 ? 8 : 16
            let capacityBits = dataCodewords(version) * 8
            if 4 + lengthBits + bytes.count * 8 <= capacityBits {
                return QRCode(version: version, bytes: bytes, lengthBits: lengthBits)
            }
        }
        return nil
    }

    init(version: Int, bytes: [UInt8], lengthBits: Int) {
        self.version = version
        size = version * 4 + 17
        // Data: mode 0100 (bytes), the count, the bytes, a terminator, then pad bytes 0xEC 0x11.
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
        }
        append(0b0100, 4)
        append(bytes.count, lengthBits)
        for byte in bytes { append(Int(byte), 8) }
        let capacity = QRCode.dataCodewords(version) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var codewords = stride(from: 0, to: bits.count, by: 8).map { start in
            (0..<8).reduce(UInt8(0)) { $0 << 1 | (bits[start + $1] ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while codewords.count < capacity / 8 {
            codewords.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        let all = QRCode.addErrorCorrection(codewords, version: version)

        var grid = Grid(size: size)
        grid.drawFunctionPatterns(version: version)
        grid.placeData(all)
        // Every mask is tried; the one with the lowest penalty is kept, as the standard asks.
        var best: (penalty: Int, mask: Int, modules: [[Bool]])?
        for mask in 0..<8 {
            var candidate = grid
            candidate.applyMask(mask)
            candidate.drawFormatBits(mask: mask)
            let penalty = candidate.penalty()
            if let current = best, current.penalty <= penalty { continue }
            best = (penalty, mask, candidate.modules)
        }
        mask = best?.mask ?? 0
        modules = best?.modules ?? grid.modules
    }

    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version] * blockCount[version]
    }

    /// Splits the data into blocks, appends each block's Reed–Solomon codewords, and interleaves them.
    static func addErrorCorrection(_ data: [UInt8], version: Int) -> [UInt8] {
        let blocks = blockCount[version]
        let eccLength = eccPerBlock[version]
        let raw = rawDataModules(version) / 8
        let shortBlocks = blocks - raw % blocks
        let shortLength = raw / blocks
        let divisor = ReedSolomon.divisor(degree: eccLength)
        var split: [[UInt8]] = []
        var offset = 0
        for index in 0..<blocks {
            let length = shortLength - eccLength + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<(offset + length)])
            offset += length
            let ecc = ReedSolomon.remainder(block, divisor: divisor)
            if index < shortBlocks { block.append(0) }  // a placeholder, skipped when interleaving
            split.append(block + ecc)
        }
        var result: [UInt8] = []
        for column in 0..<split[0].count {
            for (index, block) in split.enumerated() where column != shortLength - eccLength || index >= shortBlocks {
                result.append(block[column])
            }
        }
        return result
    }

    /// The positions of alignment patterns' centres along each axis.
    static func alignmentPositions(_ version: Int) -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        var positions = [6]
        var position = version * 4 + 17 - 7
        var tail: [Int] = []
        while tail.count < count - 1 {
            tail.insert(position, at: 0)
            position -= step
        }
        positions += tail
        return positions
    }

    /// An SVG of the code with its 4-module quiet zone: each row's dark runs as one stroked path segment
    /// (`M x y.5h3m2 0h1…`), a few kilobytes for a payment payload, crisp at any size.
    public func svg(title: String) -> String {
        let quiet = 4
        let total = size + quiet * 2
        var path = ""
        for (y, row) in modules.enumerated() {
            var x = 0
            var penEnd: Int?
            while x < size {
                guard row[x] else {
                    x += 1
                    continue
                }
                var length = 1
                while x + length < size && row[x + length] { length += 1 }
                if let end = penEnd {
                    path += "m\(x - end) 0h\(length)"
                } else {
                    path += "M\(x + quiet) \(y + quiet).5h\(length)"
                }
                penEnd = x + length
                x += length
            }
        }
        // Inline in HTML, the SVG namespace is implied: no xmlns, no URL in the page.
        return "<svg viewBox=\"0 0 \(total) \(total)\" class=\"qr\" role=\"img\" "
            + "aria-label=\"\(title)\" shape-rendering=\"crispEdges\"><title>\(title)</title>"
            + "<rect width=\"\(total)\" height=\"\(total)\" fill=\"#fff\"/>"
            + "<path d=\"\(path)\" stroke=\"#000\" stroke-width=\"1\" fill=\"none\"/></svg>"
    }

    /// The module matrix back from an SVG this type drew (for tests that hand it to another decoder).
    public static func modules(fromSVG svg: String) -> [[Bool]]? {
        guard let viewBox = svg.firstRange(of: "viewBox=\"0 0 "),
            let sizeEnd = svg[viewBox.upperBound...].firstIndex(of: " "),
            let total = Int(svg[viewBox.upperBound..<sizeEnd]),
            let pathStart = svg.firstRange(of: "<path d=\""),
            let pathEnd = svg[pathStart.upperBound...].firstIndex(of: "\"")
        else { return nil }
        var grid = Array(repeating: Array(repeating: false, count: total), count: total)
        let path = Array(svg[pathStart.upperBound..<pathEnd])
        var index = 0
        var x = 0
        var y = 0
        func number() -> Double? {
            var text = ""
            while index < path.count, path[index].isNumber || path[index] == "." || path[index] == "-" {
                text.append(path[index])
                index += 1
            }
            return Double(text)
        }
        while index < path.count {
            let command = path[index]
            index += 1
            switch command {
            case "M":
                guard let nx = number() else { return nil }
                index += 1  // the space
                guard let ny = number() else { return nil }
                x = Int(nx)
                y = Int(ny)
            case "m":
                guard let dx = number() else { return nil }
                index += 1
                _ = number()
                x += Int(dx)
            case "h":
                guard let length = number(), y < total else { return nil }
                for column in x..<min(total, x + Int(length)) { grid[y][column] = true }
                x += Int(length)
            default:
                return nil
            }
        }
        return grid
    }
}

/// The module grid while it is being built: which modules are dark, and which belong to patterns.
struct Grid {
    let size: Int
    var modules: [[Bool]]
    var isFunction: [[Bool]]

    init(size: Int) {
        self.size = size
        modules = Array(repeating: Array(repeating: false, count: size), count: size)
        isFunction = modules
    }

    mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
        modules[y][x] = dark
        isFunction[y][x] = true
    }

    mutating func drawFunctionPatterns(version: Int) {
        for i in 0..<size {
            set(6, i, i % 2 == 0)
            set(i, 6, i % 2 == 0)
        }
        for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = cx + dx
                    let y = cy + dy
                    guard x >= 0, x < size, y >= 0, y < size else { continue }
                    let distance = max(abs(dx), abs(dy))
                    set(x, y, distance != 2 && distance != 4)
                }
            }
        }
        let positions = QRCode.alignmentPositions(version)
        for (i, cx) in positions.enumerated() {
            for (j, cy) in positions.enumerated() {
                // Not over the finder patterns.
                if (i == 0 && j == 0) || (i == 0 && j == positions.count - 1) || (i == positions.count - 1 && j == 0) {
                    continue
                }
                for dy in -2...2 {
                    for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
                }
            }
        }
        drawFormatBits(mask: 0)  // reserves the area; the real bits come with the chosen mask
        if version >= 7 {
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for i in 0..<18 {
                let dark = (bits >> i) & 1 == 1
                let a = size - 11 + i % 3
                let b = i / 3
                set(a, b, dark)
                set(b, a, dark)
            }
        }
    }

    /// Level M (format bits 00) and the mask, BCH-protected and XORed with 101010000010010.
    mutating func drawFormatBits(mask: Int) {
        let data = 0 << 3 | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
        for i in 0...5 { set(8, i, bit(i)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for i in 9..<15 { set(14 - i, 8, bit(i)) }
        for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
        set(8, size - 8, true)  // the dark module
    }

    /// Codeword bits in two-module columns, right to left, alternately upwards and downwards.
    mutating func placeData(_ codewords: [UInt8]) {
        var index = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for j in 0..<2 {
                    let x = right - j
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vertical : vertical
                    if !isFunction[y][x] && index < codewords.count * 8 {
                        modules[y][x] = (codewords[index >> 3] >> (7 - UInt8(index & 7))) & 1 == 1
                        index += 1
                    }
                }
            }
            right -= 2
        }
    }

    mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y][x] {
                let invert: Bool =
                    switch mask {
                    case 0: (x + y) % 2 == 0
                    case 1: y % 2 == 0
                    case 2: x % 3 == 0
                    case 3: (x + y) % 3 == 0
                    case 4: (x / 3 + y / 2) % 2 == 0
                    case 5: x * y % 2 + x * y % 3 == 0
                    case 6: (x * y % 2 + x * y % 3) % 2 == 0
                    default: ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                if invert { modules[y][x].toggle() }
            }
        }
    }

    /// The standard's four penalty rules: long runs, 2×2 blocks, finder-like patterns, imbalance.
    func penalty() -> Int {
        var total = 0
        func lines() -> [[Bool]] {
            modules + (0..<size).map { x in (0..<size).map { y in modules[y][x] } }
        }
        let finderLike: [Bool] = [true, false, true, true, true, false, true]
        for line in lines() {
            var run = 1
            for i in 1..<line.count {
                if line[i] == line[i - 1] {
                    run += 1
                } else {
                    if run >= 5 { total += run - 2 }
                    run = 1
                }
            }
            if run >= 5 { total += run - 2 }
            // 1:1:3:1:1 with four light modules on either side.
            if line.count >= 11 {
                for start in 0...(line.count - 7) where Array(line[start..<(start + 7)]) == finderLike {
                    let before = start >= 4 && !line[(start - 4)..<start].contains(true)
                    let after = start + 11 <= line.count && !line[(start + 7)..<(start + 11)].contains(true)
                    if before || after { total += 40 }
                }
            }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let colour = modules[y][x]
                if modules[y][x + 1] == colour && modules[y + 1][x] == colour && modules[y + 1][x + 1] == colour {
                    total += 3
                }
            }
        }
        let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }
        let percent = dark * 100 / (size * size)
        total += abs(percent - 50) / 5 * 10
        return total
    }
}

/// Reed–Solomon error correction over GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var result: UInt16 = 0
        for bit in stride(from: 7, through: 0, by: -1) {
            result = (result << 1) ^ ((result >> 7) * 0x11D)
            result ^= UInt16((y >> UInt8(bit)) & 1) * UInt16(x)
        }
        return UInt8(result & 0xFF)
    }

    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in 0..<result.count { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}

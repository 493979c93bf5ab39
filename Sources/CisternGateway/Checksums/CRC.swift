/// A reflected cyclic redundancy check (the CRC-32, CRC-32C and CRC-64/NVME of S3's checksums),
/// computed eight bytes at a time from eight tables ("slicing by 8").
struct CRC<Value: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    /// 8 tables of 256 entries, one after the other.
    private let tables: [Value]

    /// `polynomial` in its reflected form (CRC-32: 0xEDB88320).
    init(reflectedPolynomial polynomial: Value) {
        var tables = [Value](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = Value(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(slice - 1) * 256 + byte]
                tables[slice * 256 + byte] = (previous >> 8) ^ tables[Int(truncatingIfNeeded: previous & 0xff)]
            }
        }
        self.tables = tables
    }

    /// The register before any byte (all ones); the checksum is the register with all bits flipped.
    static var initial: Value { ~0 }

    /// The register after `bytes`, from `crc`.
    func update(_ crc: Value, _ bytes: UnsafeRawBufferPointer) -> Value {
        var crc = crc
        self.tables.withUnsafeBufferPointer { table in
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                // The next eight bytes, little-endian, folded into the register's low bytes.
                let low = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let word = crc ^ Value(truncatingIfNeeded: low)
                let high = Value.bitWidth == 64 ? 0 : Value(truncatingIfNeeded: low >> 32)
                crc =
                    table[7 * 256 + Int(truncatingIfNeeded: word & 0xff)] ^ table[6 * 256 + Int(truncatingIfNeeded: (word >> 8) & 0xff)]
                    ^ table[5 * 256 + Int(truncatingIfNeeded: (word >> 16) & 0xff)] ^ table[4 * 256 + Int(truncatingIfNeeded: (word >> 24) & 0xff)]
                if Value.bitWidth == 64 {
                    crc ^=
                        table[3 * 256 + Int(truncatingIfNeeded: (word >> 32) & 0xff)] ^ table[2 * 256 + Int(truncatingIfNeeded: (word >> 40) & 0xff)]
                        ^ table[1 * 256 + Int(truncatingIfNeeded: (word >> 48) & 0xff)] ^ table[Int(truncatingIfNeeded: (word >> 56) & 0xff)]
                } else {
                    crc ^=
                        table[3 * 256 + Int(truncatingIfNeeded: high & 0xff)] ^ table[2 * 256 + Int(truncatingIfNeeded: (high >> 8) & 0xff)]
                        ^ table[1 * 256 + Int(truncatingIfNeeded: (high >> 16) & 0xff)] ^ table[Int(truncatingIfNeeded: (high >> 24) & 0xff)]
                }
                index += 8
            }
            while index < count {
                crc = (crc >> 8) ^ table[Int(truncatingIfNeeded: (crc ^ Value(bytes[index])) & 0xff)]
                index += 1
            }
        }
        return crc
    }
}

/// The CRCs S3 uses, their tables built once.
enum CRCs {
    static let crc32 = CRC<UInt32>(reflectedPolynomial: 0xEDB8_8320)
    static let crc32c = CRC<UInt32>(reflectedPolynomial: 0x82F6_3B78)
    static let crc64nvme = CRC<UInt64>(reflectedPolynomial: 0x9A6C_9329_AC4B_C9B5)
}

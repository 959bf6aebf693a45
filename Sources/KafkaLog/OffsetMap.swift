#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cleaner's key → latest offset map over the dirty section of a log (Kafka's `OffsetMap`), plus
/// the last offset of the last batch it has seen.
///
/// Layout: the key bytes back to back in one arena, and an open-addressing table (linear probing,
/// at most half full) of slots holding a key's 64-bit hash, where its bytes lie in the arena, and its
/// offset. Kafka keeps only 16-byte MD5 digests of the keys; this map compares the keys themselves,
/// so two keys never collide, and its size is bounded by the byte budget of a cleaning round.
struct OffsetMap {
    private struct Slot {
        var hash: Int
        var keyStart: Int
        /// -1 for an empty slot.
        var keyLength: Int
        var offset: Int64
        static let empty = Slot(hash: 0, keyStart: 0, keyLength: -1, offset: -1)
    }

    private var arena: [UInt8] = []
    private var slots = [Slot](repeating: .empty, count: 1024)
    private(set) var count = 0
    /// The largest batch last offset added, -1 when none.
    private(set) var latestOffset: Int64 = -1

    /// Records `offset` as the key's latest.
    mutating func put(key: UnsafeRawBufferPointer, offset: Int64) {
        let hash = Self.hash(key)
        let slot = find(key, hash: hash)
        if slots[slot].keyLength >= 0 {
            slots[slot].offset = offset
            return
        }
        slots[slot] = Slot(hash: hash, keyStart: arena.count, keyLength: key.count, offset: offset)
        arena.append(contentsOf: key)
        count += 1
        if count * 2 > slots.count { grow() }
    }

    mutating func updateLatestOffset(_ offset: Int64) {
        latestOffset = max(latestOffset, offset)
    }

    /// The latest offset of `key`, or -1 when the dirty section does not hold it.
    func get(_ key: UnsafeRawBufferPointer) -> Int64 {
        let slot = find(key, hash: Self.hash(key))
        return slots[slot].keyLength >= 0 ? slots[slot].offset : -1
    }

    /// The slot holding `key`, or the empty slot where it would go.
    private func find(_ key: UnsafeRawBufferPointer, hash: Int) -> Int {
        let mask = slots.count - 1
        var index = hash & mask
        return arena.withUnsafeBytes { arena in
            while true {
                let slot = slots[index]
                if slot.keyLength < 0 { return index }
                if slot.hash == hash, slot.keyLength == key.count,
                   key.count == 0 || memcmp(arena.baseAddress! + slot.keyStart, key.baseAddress!, key.count) == 0 {
                    return index
                }
                index = (index + 1) & mask
            }
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: .empty, count: old.count * 2)
        let mask = slots.count - 1
        for slot in old where slot.keyLength >= 0 {
            var index = slot.hash & mask
            while slots[index].keyLength >= 0 { index = (index + 1) & mask }
            slots[index] = slot
        }
    }

    private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: key)
        return hasher.finalize()
    }
}

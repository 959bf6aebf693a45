extension PartitionLog {
    /// Recovery's first step for compacted logs (Kafka's `LogLoader` handling of `.cleaned`, `.swap` and
    /// `.deleted` files), before segments load:
    ///
    /// - `*.cleaned` files (a cleaning round that had not started swapping) and `*.deleted` files (segments
    ///   already replaced) are removed;
    /// - each `<base>.log.swap` is a complete cleaned segment (fsync'd before it was renamed) whose swap
    ///   was interrupted: every segment it replaces, those whose base offset lies in
    ///   `base...<its last offset>`, is removed with its indexes (but `<base>.txnindex`, already the
    ///   cleaned group's), as are `<base>.index`/`.timeindex`,
    ///   and the swap file is renamed `<base>.log`; its indexes are rebuilt when it loads. Segments of
    ///   the same group past its last offset (all their batches were dropped) stay as they were: their
    ///   records are older values of keys that still have their latest value, so keeping them loses
    ///   nothing.
    ///
    /// Returns the base offsets of the swaps completed.
    static func completeInterruptedSwaps(in directory: String) throws(LogError) -> [Int64] {
        let names = try FileSystem.list(directory)
        for name in names where name.hasSuffix(LogFileNames.cleanedSuffix) || name.hasSuffix(LogFileNames.deletedSuffix) {
            try FileSystem.remove(FileSystem.join(directory, name))
        }
        let swapSuffix = LogFileNames.logSuffix + LogFileNames.swapSuffix
        let swaps = names.compactMap { LogFileNames.baseOffset(fromFileName: $0, suffix: swapSuffix) }.sorted()
        // Index swap files are never written here; a Kafka directory's are rebuilt rather than trusted.
        for name in names where name.hasSuffix(LogFileNames.swapSuffix) && !name.hasSuffix(swapSuffix) {
            try FileSystem.remove(FileSystem.join(directory, name))
        }
        guard !swaps.isEmpty else { return [] }
        let segmentBases = names.compactMap { LogFileNames.baseOffset(fromFileName: $0, suffix: LogFileNames.logSuffix) }
        for base in swaps {
            let swapPath = LogSegment.path(directory, base, swapSuffix)
            let lastOffset = try lastOffset(ofSwapFile: swapPath, baseOffset: base)
            for replaced in segmentBases where replaced >= base && (replaced == base || replaced <= lastOffset) {
                for suffix in [LogFileNames.logSuffix, LogFileNames.offsetIndexSuffix, LogFileNames.timeIndexSuffix] {
                    try FileSystem.remove(LogSegment.path(directory, replaced, suffix))
                }
                // The first's `.txnindex` was replaced before the swap began.
                if replaced != base { try FileSystem.remove(LogSegment.path(directory, replaced, LogFileNames.transactionIndexSuffix)) }
            }
            try FileSystem.remove(LogSegment.path(directory, base, LogFileNames.offsetIndexSuffix))
            try FileSystem.remove(LogSegment.path(directory, base, LogFileNames.timeIndexSuffix))
            try FileSystem.rename(swapPath, to: LogSegment.path(directory, base, LogFileNames.logSuffix))
        }
        try FileSystem.syncDirectory(directory)
        return swaps
    }

    /// The last offset of the last batch in a swap file (base - 1 when empty); the whole file must scan.
    private static func lastOffset(ofSwapFile path: String, baseOffset: Int64) throws(LogError) -> Int64 {
        let file = try LogFile.open(path, create: false)
        var scanner = BatchScanner(file: file, mode: .verified, segmentBaseOffset: baseOffset, from: 0, end: try file.size())
        var last = baseOffset - 1
        while true {
            switch try scanner.next() {
            case let .batch(batch): last = batch.header.lastOffset
            case .end: return last
            case let .invalid(position, reason): throw .corruptSegment(path: path, position: position, reason: reason)
            }
        }
    }
}

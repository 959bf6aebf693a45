extension LogSegment {
    /// `<base>.txnindex`: the transactions aborted by markers in this segment (``TransactionIndex``).
    var transactionIndexPath: String { Self.path(directory, baseOffset, LogFileNames.transactionIndexSuffix) }

    /// The file's entries: empty when it does not exist, nil when it is not a transaction index.
    func readTransactionIndex() throws(LogError) -> [AbortedTransaction]? {
        guard let bytes = try file.cache.retryingOnExhaustion({ () throws(LogError) in try IndexFile.read(transactionIndexPath) }) else { return [] }
        return TransactionIndex.parse(bytes)
    }

    /// Appends one entry (not fsync'd: ``flush()`` does that). Returns whether it created the file,
    /// whose directory entry the caller must then make durable before anything relies on it.
    @discardableResult
    func appendToTransactionIndex(_ entry: AbortedTransaction) throws(LogError) -> Bool {
        let bytes = TransactionIndex.encode([entry])
        let created = !FileSystem.exists(transactionIndexPath)
        try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.append(bytes, to: transactionIndexPath) }
        transactionIndexIsDurable = false
        return created
    }

    /// Replaces the file's entries atomically and durably (see ``AtomicFile``); with none, removes it.
    func replaceTransactionIndex(with entries: [AbortedTransaction]) throws(LogError) {
        if entries.isEmpty {
            try FileSystem.remove(transactionIndexPath)
        } else {
            let bytes = TransactionIndex.encode(entries)
            try file.cache.retryingOnExhaustion { () throws(LogError) in try AtomicFile.write(bytes, to: transactionIndexPath) }
        }
        transactionIndexIsDurable = true
    }

    /// fsync of `.txnindex` if it was appended to since the last one.
    func syncTransactionIndex() throws(LogError) {
        guard !transactionIndexIsDurable else { return }
        if FileSystem.exists(transactionIndexPath) {
            try file.cache.retryingOnExhaustion { () throws(LogError) in try IndexFile.sync(transactionIndexPath) }
        }
        transactionIndexIsDurable = true
    }
}

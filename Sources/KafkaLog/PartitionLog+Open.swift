import KafkaRecords
import Logging

extension PartitionLog {
    /// Opens (creating if needed) the log of `topic`-`partition` under `logDirectory`, recovering it:
    ///
    /// 1. An interrupted cleaner swap is completed, leftover cleaner files removed (see
    ///    ``completeInterruptedSwaps(in:)``); leftover `*.tmp` files and index files without a `.log` are
    ///    removed.
    /// 2. Segments load in base-offset order. Without the clean-shutdown marker, the last (active) one is
    ///    scanned in full (CRC included), its indexes rebuilt, and a torn or corrupt tail cut off at the
    ///    last intact batch; with it, the last one loads like the others (as Kafka skips recovery after a
    ///    clean shutdown: `close()` made it durable), and is scanned only should its headers not scan.
    ///    Without the marker, every segment holding offsets at or after the checkpointed
    ///    recovery point is scanned the same way, and a torn or corrupt batch in one that is not the
    ///    last is cut away with every segment after it (Kafka's rule: a roll does not fsync, so such a
    ///    segment may have been sealed and never flushed; the flush that would have made it durable
    ///    syncs every segment up to the log end, so the later ones never were either). Other segments
    ///    load their indexes after sanity checks (rebuilding them from batch headers if those fail).
    /// 3. Segments must not overlap. The log start offset is the largest of its checkpoints and the first
    ///    segment's base offset (never past the log end offset).
    /// 4. Producer state comes from the newest producer state snapshot at or below the log end offset,
    ///    the checkpointed high watermark and, after a crash, the checkpointed recovery point (snapshots past the log end are removed), with the
    ///    aborted transactions below it from the segments' `.txnindex` files; the batch headers from
    ///    there on are replayed (all from the log start offset without a usable snapshot, a readable
    ///    `.txnindex` or `leader-epoch-checkpoint`), and the `.txnindex` files of the replayed segments
    ///    rewritten where they differ. The leader
    ///    epoch cache is read from `leader-epoch-checkpoint` (empty when missing or unreadable) and cut to
    ///    the log end offset, then given every epoch the replayed batches carry that is newer than its latest
    ///    (Kafka's recovery rule, which rebuilds a lost file), then cut to the log start offset.
    /// 5. Scanned segments holding records are fsync'd; the recovery point becomes the log end offset,
    ///    the high watermark the checkpointed one (see below) or else the log end offset, within
    ///    `[logStartOffset, logEndOffset]`; the clean-shutdown marker is removed. The log directory and the partition's are
    ///    fsync'd by the first flush, roll or close, not now (``unsyncedDirectories``), whatever this open
    ///    changed in them: they are durable before records that need them, and only the active segment
    ///    changes until then, which the next open scans unless a marker says the shutdown was clean. So the
    ///    marker's removal alone is made durable before anything changes (``markerRemovalIsUnsynced``).
    ///
    /// Segments' `.log` files are opened through `fileCache`, and those of all but the active segment
    /// released once loaded: opening leaves at most the active segment's file open (in the cache), so
    /// opening many logs never exhausts descriptors. Should the process run out of descriptors anyway
    /// (EMFILE, ENFILE), files are evicted from `fileCache` and opening runs once more: like recovery
    /// after a crash, it may be repeated from any point.
    ///
    /// Checkpoints: a caller that keeps its log directory's checkpoint files (``LogDirectoryCheckpoints``,
    /// as Kafka's `LogManager`) passes what they hold for the partition as `checkpointed`, and the log then
    /// leaves the recovery point to it. A field the files lack (a partition written before those files
    /// existed, the upgrade path) falls back to the partition directory's own `recovery-point-offset-checkpoint`
    /// (removed by the first open given a recovery point from the directory's file)
    /// and `log-start-offset-checkpoint`, and the high watermark to the log end offset (before the file
    /// existed, every record was exposed). The log start offset is the larger of the two checkpoints, as
    /// DeleteRecords writes the partition's own file at once and the directory's only later. Without
    /// `checkpointed` (the metadata log, tools, tests) the log reads and writes its own files only.
    public static func open(
        logDirectory: String, topic: String, partition: Int32, config: LogConfig = LogConfig(), now: Int64,
        checkpointed: CheckpointedOffsets? = nil,
        producerPolicy: ProducerStateManager.UnknownProducerPolicy = .acceptAnySequence,
        logger: Logger = Logger(label: "strom.log", factory: { _ in SwiftLogNoOpLogHandler() }),
        fileCache: LogFileCache = .shared
    ) throws(LogError) -> PartitionLog {
        try fileCache.retryingOnExhaustion { () throws(LogError) in
            try recoverAndOpen(
                logDirectory: logDirectory, topic: topic, partition: partition, config: config, now: now,
                checkpointed: checkpointed, producerPolicy: producerPolicy, logger: logger, fileCache: fileCache
            )
        }
    }

    private static func recoverAndOpen(
        logDirectory: String, topic: String, partition: Int32, config: LogConfig, now: Int64, checkpointed: CheckpointedOffsets?,
        producerPolicy: ProducerStateManager.UnknownProducerPolicy, logger: Logger, fileCache: LogFileCache
    ) throws(LogError) -> PartitionLog {
        try config.validate()
        guard !topic.isEmpty, topic != ".", topic != "..", !topic.contains("/"), partition >= 0 else {
            throw .invalidArgument("topic partition \(topic)-\(partition)")
        }
        try FileSystem.createDirectory(logDirectory)
        let directory = FileSystem.join(logDirectory, LogFileNames.partitionDirectoryName(topic: topic, partition: partition))
        // Both directories, whether this open created anything or not: an earlier process may have
        // created them (or retried after running out of descriptors) and died before any flush.
        let unsyncedDirectories = [logDirectory, directory]
        _ = try FileSystem.createDirectory(directory)
        let markerPath = FileSystem.join(directory, LogFileNames.cleanShutdownMarker)
        let cleanShutdown = FileSystem.exists(markerPath)
        // The partition's own files: the upgrade path for the directory's (see above).
        var recoveryCheckpoint = checkpointed?.recoveryPoint
        if recoveryCheckpoint == nil {
            recoveryCheckpoint = try readCheckpoint(LogFileNames.recoveryPointCheckpoint, in: directory, topic: topic, partition: partition, logger: logger)
        } else {
            // The caller keeps this partition's recovery point in its directory's file (which lists it,
            // or will at its next write: a topic-settings reopen passes the old log's). The log's own
            // file, never written again, could only go stale (too high after a truncation) and be
            // trusted by an open whose directory file lacks the partition. Without either file, an
            // open recovers every segment: slower, never wrong. A crash that undoes the removal leaves
            // the state before it.
            try FileSystem.remove(FileSystem.join(directory, LogFileNames.recoveryPointCheckpoint))
        }
        let startCheckpoints = [
            checkpointed?.logStartOffset,
            try readCheckpoint(LogFileNames.logStartOffsetCheckpoint, in: directory, topic: topic, partition: partition, logger: logger),
        ].compactMap { $0 }
        let startCheckpoint = startCheckpoints.max()
        let storedEpochs = try readLeaderEpochCheckpoint(in: directory, topic: topic, partition: partition, logger: logger)

        let completedSwaps = try completeInterruptedSwaps(in: directory)
        let bases = try segmentBaseOffsets(in: directory)
        var segments: [LogSegment] = []
        var report = LogOpenReport(cleanShutdown: cleanShutdown, recoveryPointCheckpoint: recoveryCheckpoint, recoveredSegments: [:])
        report.completedSwaps = completedSwaps
        let recoveryPoint = recoveryCheckpoint ?? 0
        for (i, base) in bases.enumerated() {
            let isLast = i == bases.count - 1
            let mode: LogSegment.OpenMode
            if isLast {
                mode = cleanShutdown ? .load : .recover(truncatingCorruptTail: true)
            } else if !cleanShutdown, bases[i + 1] > recoveryPoint {
                mode = .recover(truncatingCorruptTail: true)
            } else {
                mode = .load
            }
            let segment: LogSegment
            do {
                segment = try LogSegment.open(directory: directory, baseOffset: base, config: config, now: now, mode: mode, fileCache: fileCache)
            } catch let .corruptSegment(path, position, reason) where isLast && cleanShutdown {
                // A marker over a log whose tail does not scan (files copied, or changed outside Strom):
                // recover it as after a crash.
                logger.warning("the active segment does not load despite the clean-shutdown marker; recovering it", metadata: [
                    "kafka.topic": "\(topic)", "kafka.partition": "\(partition)", "log.segment": "\(base)",
                    "log.file": "\(path)", "log.position": "\(position)", "log.reason": "\(reason)",
                ])
                segment = try LogSegment.open(directory: directory, baseOffset: base, config: config, now: now,
                                              mode: .recover(truncatingCorruptTail: true), fileCache: fileCache)
            }
            // Its index files were written at close without fsync: a roll must still sync them.
            if isLast, segment.indexFiles == .durable { segment.indexFiles = .written }
            if let recovery = segment.lastRecovery {
                report.recoveredSegments[base] = recovery
                // An empty segment has nothing to make durable (a truncation to nothing recurs harmlessly).
                if segment.size > 0 { try segment.flush() }
                if recovery.truncatedBytes > 0 {
                    logger.info("truncated a torn or corrupt segment tail", metadata: [
                        "kafka.topic": "\(topic)", "kafka.partition": "\(partition)", "log.segment": "\(base)",
                        "log.truncated_bytes": "\(recovery.truncatedBytes)", "log.reason": "\(recovery.reason ?? "")",
                    ])
                }
            }
            if !isLast { segment.releaseFile() }
            segments.append(segment)
            if !isLast, let recovery = segment.lastRecovery, recovery.truncatedBytes > 0 {
                // Kafka's rule: a segment above the recovery point may have been sealed but not flushed
                // when the node crashed; what follows its first bad batch never was durable, nor were the
                // segments after it (each flush syncs them in order). They are deleted, durably, so that
                // they cannot come back behind a gap.
                let later = Array(bases[(i + 1)...])
                for base in later {
                    try LogSegment.removeFiles(directory: directory, baseOffset: base)
                }
                try FileSystem.syncDirectory(directory)
                report.deletedSegmentsAfterCorruption = later
                logger.warning("deleted the segments after a corrupt one above the recovery point", metadata: [
                    "kafka.topic": "\(topic)", "kafka.partition": "\(partition)", "log.segment": "\(base)",
                    "log.recovery_point": "\(recoveryPoint)", "log.deleted_segments": "\(later.count)",
                ])
                break
            }
        }
        if segments.isEmpty {
            let segment = try LogSegment.create(directory: directory, baseOffset: max(0, startCheckpoint ?? 0), config: config, now: now, fileCache: fileCache)
            segments.append(segment)
        }
        for (previous, next) in zip(segments, segments.dropFirst()) where previous.nextOffset > next.baseOffset {
            throw .corruptSegment(path: next.logPath, position: 0, reason: "segment starts at offset \(next.baseOffset) but the previous one ends at \(previous.nextOffset)")
        }
        let logEndOffset = segments[segments.count - 1].nextOffset
        let logStartOffset = min(max(startCheckpoint ?? 0, segments[0].baseOffset), logEndOffset)
        var epochs = storedEpochs ?? LeaderEpochCache()
        epochs.truncateFromEnd(logEndOffset)
        // Snapshots past the log end describe records that are gone (a torn tail, a lost write).
        var snapshots = try removeProducerSnapshots(in: directory, where: { $0 > logEndOffset }).remaining
        // A snapshot above the checkpointed high watermark is not used: transactions it saw ending
        // there may not be replicated, which a replay notices. After a crash, neither is one above the
        // recovery point: the segments there were scanned, but their `.txnindex` files may have missed
        // entries (a roll writes without fsync), and only a replay rewrites them. Without the epoch
        // file, replay all of the log to rebuild it.
        var snapshotLimit = storedEpochs == nil ? nil : min(logEndOffset, checkpointed?.highWatermark ?? logEndOffset)
        if !cleanShutdown, let limit = snapshotLimit { snapshotLimit = min(limit, recoveryPoint) }
        let metadata: Logger.Metadata = ["kafka.topic": "\(topic)", "kafka.partition": "\(partition)"]
        let restored = try restoreProducerState(
            directory: directory, snapshots: &snapshots, segments: segments, logStartOffset: logStartOffset, snapshotLimit: snapshotLimit,
            policy: producerPolicy, logger: logger, metadata: metadata,
            abortedBelow: { (offset: Int64) throws(LogError) -> [AbortedTransaction]? in
                try transactionIndexEntries(of: segments, below: offset, logger: logger, metadata: metadata)
            },
            eachHeader: { header in
                if header.partitionLeaderEpoch > (epochs.latestEpoch ?? -1) {
                    epochs.assign(epoch: header.partitionLeaderEpoch, startOffset: header.baseOffset)
                }
            })
        report.producerStateReplayedFrom = restored.replayedFrom
        epochs.truncateFromStart(logStartOffset)
        for segment in segments.dropLast() { segment.releaseFile() }
        if cleanShutdown {
            try FileSystem.remove(markerPath)
        }
        let log = PartitionLog(
            topic: topic, partition: partition, directory: directory, config: config, fileCache: fileCache, logger: logger, segments: segments,
            logStartOffset: logStartOffset, highWatermark: checkpointed?.highWatermark, producerState: restored.state,
            leaderEpochCache: epochs, checkpointsInLogDirectory: checkpointed != nil, openReport: report, now: now
        )
        // A missing or unreadable file is written once it has something to hold.
        log.leaderEpochCheckpointIsStale = storedEpochs.map { $0 != epochs } ?? !epochs.isEmpty
        log.markerRemovalIsUnsynced = cleanShutdown
        log.abortedTransactions = restored.aborted
        log.latestProducerSnapshot = snapshots.last
        try log.rewriteTransactionIndexes(from: restored.replayedFrom)
        log.producerState.onHighWatermarkUpdated(log.highWatermark)
        log.unsyncedDirectories = unsyncedDirectories
        log.checkpointedRecoveryPoint = recoveryCheckpoint
        // A checkpoint above the log end (its tail was lost) still stands until it is rewritten.
        log.highestRecoveryPoint = max(log.recoveryPoint, recoveryCheckpoint ?? 0)
        log.cleanerCheckpoint = try readCheckpoint(LogFileNames.cleanerOffsetCheckpoint, in: directory, topic: topic, partition: partition, logger: logger)
        logger.debug("opened log", metadata: log.metadata.merging([
            "log.start_offset": "\(logStartOffset)", "log.end_offset": "\(logEndOffset)", "log.clean_shutdown": "\(cleanShutdown)",
        ]) { $1 })
        return log
    }

    /// Base offsets of the `.log` files, ascending; removes `*.tmp` files and orphaned index files.
    static func segmentBaseOffsets(in directory: String) throws(LogError) -> [Int64] {
        let names = try FileSystem.list(directory)
        let bases = Set(names.compactMap { LogFileNames.baseOffset(fromFileName: $0, suffix: LogFileNames.logSuffix) })
        for name in names {
            let orphanIndex = [LogFileNames.offsetIndexSuffix, LogFileNames.timeIndexSuffix, LogFileNames.transactionIndexSuffix].contains { suffix in
                LogFileNames.baseOffset(fromFileName: name, suffix: suffix).map { !bases.contains($0) } ?? false
            }
            if orphanIndex || name.hasSuffix(".tmp") { try FileSystem.remove(FileSystem.join(directory, name)) }
        }
        return bases.sorted()
    }

    /// The offset of a per-partition checkpoint file; nil when missing or unreadable (logged).
    static func readCheckpoint(_ name: String, in directory: String, topic: String, partition: Int32, logger: Logger) throws(LogError) -> Int64? {
        guard let bytes = try FileSystem.readFile(FileSystem.join(directory, name)) else { return nil }
        guard let offset = OffsetCheckpoint(parsing: bytes)?.offset(topic: topic, partition: partition), offset >= 0 else {
            logger.info("ignoring an unreadable checkpoint", metadata: ["kafka.topic": "\(topic)", "kafka.partition": "\(partition)", "log.file": "\(name)"])
            return nil
        }
        return offset
    }

    /// The aborted transactions whose markers lie below `offset`, from the `.txnindex` files of the
    /// segments holding offsets below it, in marker order; nil when a file is not a transaction index.
    static func transactionIndexEntries(of segments: [LogSegment], below offset: Int64, logger: Logger,
                                        metadata: Logger.Metadata) throws(LogError) -> [AbortedTransaction]? {
        var entries: [AbortedTransaction] = []
        // Only the segment holding the snapshot's offset can have been appended to after the snapshot
        // (earlier ones were sealed, their files fsync'd, before it was taken): an append a crash tore
        // there could pass for an entry below the offset, so each of its entries must name an ABORT
        // control batch of its producer.
        let holder = segments.last { $0.baseOffset < offset }
        for segment in segments where segment.baseOffset < offset {
            var found = try segment.readTransactionIndex()
            found = found?.filter { $0.lastOffset < offset && $0.lastOffset >= segment.baseOffset }
            if segment === holder, let listed = found {
                for entry in listed {
                    guard let (_, header) = try segment.translateOffset(entry.lastOffset), header.baseOffset == entry.lastOffset,
                          header.isControl, header.producerId == entry.producerId else {
                        found = nil
                        break
                    }
                }
            }
            guard let found else {
                logger.warning("replaying the log past an unreadable transaction index", metadata: metadata.merging([
                    "log.file": "\(segment.transactionIndexPath)",
                ]) { $1 })
                return nil
            }
            entries += found
        }
        // A cleaning round that did not finish its swap can leave a transaction in two files.
        entries.sort { $0.lastOffset < $1.lastOffset }
        return entries.enumerated().filter { $0.offset == 0 || entries[$0.offset - 1].lastOffset != $0.element.lastOffset }.map(\.element)
    }
}

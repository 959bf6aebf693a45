extension PartitionLog {
    /// The next cleaning round for a log whose `cleanup.policy` includes `compact`, or nil when there is
    /// nothing to do (see ``CleaningPlan``). Call under the partition's lock; then run
    /// ``LogCleaner/clean(_:)`` without it, and ``swapIn(_:)`` under it again.
    public func cleaningPlan(now: Int64, byteBudget: Int64) throws(LogError) -> CleaningPlan? {
        try ensureOpen()
        guard config.cleanupPolicy.contains(.compact) else { return nil }
        var snapshot: [CleaningPlan.Segment] = []
        snapshot.reserveCapacity(segments.count)
        for segment in segments {
            snapshot.append(CleaningPlan.Segment(
                baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size, file: segment.file,
                identity: ObjectIdentifier(segment.file), indexBytes: segment.offsetIndex.entries.count * OffsetIndex.entrySize,
                timeIndexBytes: segment.timeIndex.entries.count * TimeIndex.entrySize,
                largestTimestamp: try segment.largestTimestamp(), firstBatchTimestamp: segment.firstBatchTimestamp
            ))
        }
        let producers = producerState.producers.compactMapValues(\.lastOffset)
        let markerOnly = producerState.producers.filter { $0.value.lastOffset == nil }.mapValues(\.producerEpoch)
        return CleaningPlan.make(
            segments: snapshot, logStartOffset: logStartOffset, logEndOffset: logEndOffset, highWatermark: highWatermark,
            checkpoint: cleanerCheckpoint, producers: producers, markerOnlyProducers: markerOnly, topic: topic, partition: partition, directory: directory,
            config: config, now: now, byteBudget: byteBudget, lastStableOffset: lastStableOffset,
            abortedTransactions: abortedTransactions
        )
    }

    /// Swaps the cleaned files in, group by group in offset order, as Kafka's `replaceSegments` does;
    /// then checkpoints the round's end offset as the first dirty offset. For each group:
    ///
    /// 0. `<base>.txnindex` is replaced (atomically) by the aborted transactions whose markers the
    ///    cleaned group keeps with their batches removed;
    /// 1. `<base>.log.cleaned` is renamed `<base>.log.swap` (directory fsync'd);
    /// 2. each replaced segment's `.log`, `.index` and `.timeindex` (and `.txnindex`, but the first's)
    ///    are renamed with `.deleted` appended (fsync'd);
    /// 3. the swap file is renamed `<base>.log` (fsync'd), the `.deleted` files removed;
    /// 4. the new segment is opened with its indexes rebuilt from a full scan.
    ///
    /// Recovery (``open(logDirectory:topic:partition:config:now:checkpointed:producerPolicy:logger:fileCache:)``) finishes a
    /// swap interrupted after step 1 and discards `.cleaned` and `.deleted` files, so a crash anywhere
    /// leaves every segment either as it was or as cleaned. Returns false, discarding the files, when
    /// the log changed under the round (a replaced segment was deleted or the log reopened).
    @discardableResult
    public func swapIn(_ cleaned: CleanedSegments) throws(LogError) -> Bool {
        var crash = CrashPoint(afterSteps: nil)
        return try swapIn(cleaned, crash: &crash)
    }

    /// A test seam: throws ``LogError/invalidArgument(_:)`` instead of performing file step number
    /// `afterSteps` (0-based), leaving the files as a crash there would.
    struct CrashPoint {
        var afterSteps: Int?
        var stepsTaken = 0

        mutating func step() throws(LogError) {
            if let afterSteps, stepsTaken >= afterSteps { throw .invalidArgument("simulated crash after \(stepsTaken) steps") }
            stepsTaken += 1
        }
    }

    func swapIn(_ cleaned: CleanedSegments, crash: inout CrashPoint) throws(LogError) -> Bool {
        do {
            try ensureOpen()
        } catch {
            cleaned.discard()
            throw error
        }
        var ranges: [Range<Int>] = []
        for group in cleaned.groups {
            // The plan holds each segment's file handle, so a handle's identity is never reused meanwhile;
            // offsets are compared too.
            func same(_ segment: LogSegment, _ planned: CleaningPlan.Segment) -> Bool {
                ObjectIdentifier(segment.file) == planned.identity && segment.baseOffset == planned.baseOffset
            }
            guard let start = segments.firstIndex(where: { same($0, group.segments[0]) }),
                  start + group.segments.count < segments.count,
                  zip(segments[start...], group.segments).allSatisfy({ same($0, $1) })
            else {
                cleaned.discard()
                return false
            }
            ranges.append(start..<(start + group.segments.count))
        }
        try changingFiles { () throws(LogError) in
            // Replacing a group by one segment shifts the later ranges; go from the last group back.
            var replacements: [(Range<Int>, LogSegment)] = []
            for (group, range) in zip(cleaned.groups, ranges) {
                replacements.append((range, try swapGroup(group, replacing: Array(segments[range]), now: cleaned.plan.now, crash: &crash)))
            }
            for (range, segment) in replacements.reversed() { segments.replaceSubrange(range, with: [segment]) }
            // The groups' aborted transactions are now those whose markers stayed with batches removed.
            for (group, (_, segment)) in zip(cleaned.groups, replacements) {
                let end = group.segments[group.segments.count - 1].nextOffset
                abortedTransactions.removeAll { $0.lastOffset >= segment.baseOffset && $0.lastOffset < end }
                abortedTransactions += group.abortedTransactions
            }
            abortedTransactions.sort { $0.lastOffset < $1.lastOffset }
            // The snapshots taken when the replaced segments rolled name segments that are gone
            // (Kafka's replaceSegments drops them too): only the group's first base stays a boundary.
            let inside = cleaned.groups.map { ($0.baseOffset + 1)..<$0.segments[$0.segments.count - 1].nextOffset }
            if latestProducerSnapshot != nil { try deleteProducerSnapshots(where: { offset in inside.contains { $0.contains(offset) } }) }
            try crash.step()
            try writeCheckpoint(LogFileNames.cleanerOffsetCheckpoint, offset: cleaned.plan.endOffset)
            cleanerCheckpoint = cleaned.plan.endOffset
        }
        logger.debug("swapped in cleaned segments", metadata: metadata.merging([
            "log.groups": "\(cleaned.groups.count)", "log.cleaned_to": "\(cleaned.plan.endOffset)",
        ]) { $1 })
        return true
    }

    private func swapGroup(_ group: CleanedSegments.Group, replacing old: [LogSegment], now: Int64, crash: inout CrashPoint) throws(LogError) -> LogSegment {
        let base = group.baseOffset
        let logPath = LogSegment.path(directory, base, LogFileNames.logSuffix)
        let swapPath = logPath + LogFileNames.swapSuffix
        // The new `.txnindex` first, under the first replaced segment's name: should the swap not
        // complete, it lists fewer transactions than before only where the round found no batches.
        try crash.step()
        try old[0].replaceTransactionIndex(with: group.abortedTransactions)
        try crash.step()
        try FileSystem.rename(group.path, to: swapPath)
        try FileSystem.syncDirectory(directory)
        var deleted: [String] = []
        for segment in old {
            var paths = [segment.logPath, segment.offsetIndexPath, segment.timeIndexPath]
            if segment !== old[0] { paths.append(segment.transactionIndexPath) }
            for path in paths where FileSystem.exists(path) {
                try crash.step()
                try FileSystem.rename(path, to: path + LogFileNames.deletedSuffix)
                deleted.append(path + LogFileNames.deletedSuffix)
            }
            // Its path now names nothing, and soon the cleaned file: never reopen it.
            segment.file.retire()
        }
        try FileSystem.syncDirectory(directory)
        try crash.step()
        try FileSystem.rename(swapPath, to: logPath)
        try FileSystem.syncDirectory(directory)
        for path in deleted {
            try crash.step()
            try FileSystem.remove(path)
        }
        try crash.step()
        let segment = try LogSegment.open(directory: directory, baseOffset: base, config: config, now: now, mode: .recover(truncatingCorruptTail: false), fileCache: fileCache)
        try segment.flush()
        return segment
    }
}

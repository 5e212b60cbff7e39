package dev.blt.patching;

import java.util.ArrayList;
import java.util.List;

/**
 * Record segmentation over records that arrive in pieces, in bounded memory: records are numbered
 * 0, 1, ... in the order they start, and scored in batches of about {@code maxRecords} records or
 * {@code maxBytes} bytes per entropy-model call. A record longer than what is left of a batch is
 * cut into slices; its {@link StreamPatcher} goes on into the next batch, and since patching is
 * exact under any chunking its patches are those of {@link OfflinePatcher#patchRecords}. Memory is
 * bounded by the batch, whatever the length of a record.
 *
 * <p>With {@link RecordContext#CARRY} the records go through one patcher, each followed by the
 * record separator, so the model sees the earlier records; the patches are those of
 * {@link OfflinePatcher#patchRecordsInContext}. Memory is bounded by the batch and C + B bytes.
 *
 * <p>The sink sees, per record in order, its patches as they close and then its end; between
 * batches, {@link Sink#endBatch()}.
 */
public final class RecordPatcher {

    /** Records per model call, as the CLI has always batched them. */
    public static final int DEFAULT_MAX_RECORDS = 256;
    /** Bytes per model call: a long record is fed in slices of at most this. */
    public static final int DEFAULT_MAX_BYTES = 64 * 1024;

    /** Where the patches go; called on the thread that feeds the patcher. */
    public interface Sink {

        void patch(long record, ClosedPatch patch);

        /** Record {@code record} has no more patches. */
        void endRecord(long record);

        /** A batch was scored and everything it closed handed on. */
        default void endBatch() {
        }
    }

    /** A record of the batch; every one but {@link #current} has ended. */
    private record Open(long record, StreamPatcher patcher) {
    }

    private final PatcherSettings settings;
    private final EntropyScorer scorer;
    private final CloseReason endReason;
    private final int maxRecords;
    private final int maxBytes;
    private final Sink sink;
    private final StreamPatcher carried;  // RecordContext.CARRY: every record goes through this one
    private final RecordSpans spans = new RecordSpans();
    private int carriedRecords;           // records ended since the last flush (CARRY)
    private final List<Open> batch = new ArrayList<>();   // in record order
    private int batchBytes;
    private long nextRecord;
    private Open current;      // the record being appended to, or null between records

    /** @param endReason why a record's last patch closes: END_OF_RECORD, or END_OF_STREAM for one stream */
    public RecordPatcher(PatcherSettings settings, EntropyScorer scorer, CloseReason endReason, int maxRecords,
                         int maxBytes, Sink sink) {
        this(settings, scorer, RecordContext.RESET, endReason, maxRecords, maxBytes, sink);
    }

    /** @param endReason with RESET, why a record's last patch closes: END_OF_RECORD, or END_OF_STREAM for one stream */
    public RecordPatcher(PatcherSettings settings, EntropyScorer scorer, RecordContext context, CloseReason endReason,
                         int maxRecords, int maxBytes, Sink sink) {
        if (maxRecords < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("batches must hold a record and a byte, got " + maxRecords
                    + " records, " + maxBytes + " bytes");
        }
        this.settings = settings;
        this.scorer = scorer;
        this.endReason = endReason;
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
        this.sink = sink;
        this.carried = context == RecordContext.CARRY ? new StreamPatcher(settings) : null;
    }

    public RecordPatcher(PatcherSettings settings, EntropyScorer scorer, RecordContext context, Sink sink) {
        this(settings, scorer, context, CloseReason.END_OF_RECORD, DEFAULT_MAX_RECORDS, DEFAULT_MAX_BYTES, sink);
    }

    /** Index of the record the next {@link #append} goes to. */
    public long currentRecord() {
        return current != null ? current.record() : nextRecord;
    }

    /** A piece of record {@code record}, which must be {@link #currentRecord()}; ends it if {@code endOfRecord}. */
    public void add(long record, byte[] bytes, boolean endOfRecord) {
        if (record != currentRecord()) {
            throw new IllegalArgumentException("piece of record " + record + " while at record " + currentRecord());
        }
        append(bytes, 0, bytes.length);
        if (endOfRecord) {
            endRecord();
        }
    }

    /** Appends to the current record, starting one if none is open. */
    public void append(byte[] data, int offset, int length) {
        Open open = open();
        while (length > 0) {
            int n = Math.min(length, maxBytes - batchBytes);
            open.patcher().append(data, offset, n);
            batchBytes += n;
            offset += n;
            length -= n;
            if (batchBytes >= maxBytes) {
                flush();
            }
        }
    }

    /** Ends the current record (an empty one if none is open); a full batch is scored at once. */
    public void endRecord() {
        open();
        current = null;
        if (carried != null) {
            spans.end(carried.received());
            carried.endRecord();
            carriedRecords++;
        }
        if ((carried != null ? carriedRecords : batch.size()) >= maxRecords) {
            flush();
        }
    }

    /** Scores what is pending and hands on every patch that closed; an open record goes on. */
    public void flush() {
        if (carried != null) {
            flushCarried();
            return;
        }
        if (batch.isEmpty()) {
            return;
        }
        List<StreamPatcher> patchers = new ArrayList<>(batch.size());
        batch.forEach(o -> patchers.add(o.patcher()));
        BatchScoring.scoreAll(patchers, scorer);
        for (Open o : batch) {
            for (ClosedPatch p : o.patcher().drain()) {
                sink.patch(o.record(), p);
            }
            if (o != current) {
                for (ClosedPatch p : o.patcher().finish(endReason)) {
                    sink.patch(o.record(), p);
                }
                sink.endRecord(o.record());
            }
        }
        batch.removeIf(o -> o != current);
        batchBytes = 0;
        sink.endBatch();
    }

    private void flushCarried() {
        if (spans.isEmpty()) {
            return;
        }
        BatchScoring.scoreAll(List.of(carried), scorer);
        RecordSpans.Assigned assigned = spans.assign(carried.drain());
        var ended = assigned.endedRecords().iterator();
        Long nextEnded = ended.hasNext() ? ended.next() : null;
        for (RecordSpans.RecordPatch p : assigned.patches()) {
            while (nextEnded != null && nextEnded < p.record()) { // records before it ended (with no patch here)
                sink.endRecord(nextEnded);
                nextEnded = ended.hasNext() ? ended.next() : null;
            }
            sink.patch(p.record(), p.patch());
        }
        while (nextEnded != null) {
            sink.endRecord(nextEnded);
            nextEnded = ended.hasNext() ? ended.next() : null;
        }
        batchBytes = 0;
        carriedRecords = 0;
        sink.endBatch();
    }

    /** The end of the input: scores the rest. Every record must have ended. */
    public void finish() {
        if (current != null) {
            throw new IllegalStateException("record " + current.record() + " was not ended");
        }
        flush();
    }

    private Open open() {
        if (current == null) {
            if (carried != null) {
                spans.begin(nextRecord, carried.received());
                current = new Open(nextRecord++, carried);
            } else {
                current = new Open(nextRecord++, new StreamPatcher(settings));
                batch.add(current);
            }
        }
        return current;
    }
}

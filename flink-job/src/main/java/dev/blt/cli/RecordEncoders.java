package dev.blt.cli;

import dev.blt.bltstage.BatchedBltStages;
import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.bltstage.GreedyContinuation;
import dev.blt.bltstage.BltStage;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.RecordContext;
import dev.blt.patching.RecordPatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The BLT half of {@code blt embed}: a {@link BltStage} per record, fed its patches as they
 * close, and run for every open record together after each patching batch (or sooner, once
 * {@link #MAX_PENDING_PATCHES} wait). The encoders are exact under any grouping of patches, so the
 * outputs are those of encoding each record whole. A record's state is dropped once it has ended
 * and its patches are out; memory is bounded by a batch, not by a record.
 *
 * <p>With {@link RecordContext#CARRY} the records share one encoder and each ends with the record
 * separator, so a record's patches see the earlier records.
 */
final class RecordEncoders implements RecordPatcher.Sink {

    /** Patches per BLT run at most (their outputs and prompts are held until handed on). */
    static final int MAX_PENDING_PATCHES = 2048;

    /** Receives, per record in order, each patch with its outputs, then the record's end. */
    interface Output {

        /** @param continuation the greedy continuation, or null when off */
        void patch(long record, ClosedPatch patch, PatchOutputs encoded, byte[] continuation);

        void endRecord(long record);

        /** After each BLT run. */
        default void endRun() {
        }
    }

    private static final class Doc {
        final long record;
        final BltStage encoder;
        final ArrayDeque<ClosedPatch> waiting = new ArrayDeque<>();
        boolean ended;

        Doc(long record, BltStage encoder) {
            this.record = record;
            this.encoder = encoder;
        }
    }

    private final BltStageSettings settings;
    private final BltScorer scorer;
    private final int continuationBytes;
    private final int byteOffset;
    private final Output output;
    private final List<Doc> docs = new ArrayList<>();   // open records, in record order
    private final BltStage carried;                  // RecordContext.CARRY: every record's encoder
    private int pending;

    RecordEncoders(BltStageSettings settings, BltScorer scorer, RecordContext context, int continuationBytes,
                   int byteOffset, Output output) {
        this.carried = context == RecordContext.CARRY ? new BltStage(settings) : null;
        this.settings = settings;
        this.scorer = scorer;
        this.continuationBytes = continuationBytes;
        this.byteOffset = byteOffset;
        this.output = output;
    }

    @Override
    public void patch(long record, ClosedPatch patch) {
        Doc doc = doc(record);
        doc.encoder.add(patch.bytes());
        doc.waiting.add(patch);
        if (++pending >= MAX_PENDING_PATCHES) {
            run();
        }
    }

    @Override
    public void endRecord(long record) {
        doc(record).ended = true;
        if (carried != null) {
            carried.endRecord();
        }
    }

    @Override
    public void endBatch() {
        run();
    }

    /** Records arrive in order, so a patch belongs to the last open record or starts the next. */
    private Doc doc(long record) {
        Doc last = docs.isEmpty() ? null : docs.get(docs.size() - 1);
        if (last != null && last.record == record) {
            return last;
        }
        Doc doc = new Doc(record, carried != null ? carried : new BltStage(settings));
        docs.add(doc);
        return doc;
    }

    /** Runs BLT on every waiting patch, hands them on in order, and drops the records that ended. */
    void run() {
        if (docs.isEmpty()) {
            return;
        }
        // Only encoders with new patches: one without would recompute its last, partial block.
        // Each encoder once (with record context the records share one); outputs come in patch order.
        List<BltStage> busy = new ArrayList<>();
        for (Doc d : docs) {
            if (!d.waiting.isEmpty() && (busy.isEmpty() || busy.get(busy.size() - 1) != d.encoder)) {
                busy.add(d.encoder);
            }
        }
        List<List<PatchOutputs>> encoded = BatchedBltStages.runAll(busy, scorer);
        Map<PatchOutputs, byte[]> continuations = GreedyContinuation.forDocuments(encoded, scorer,
                continuationBytes, byteOffset);
        java.util.Iterator<PatchOutputs> outputs = java.util.Collections.emptyIterator();
        int next = 0;
        BltStage current = null;
        for (Doc doc : docs) {
            if (!doc.waiting.isEmpty() && doc.encoder != current) {
                current = doc.encoder;
                outputs = encoded.get(next++).iterator();
            }
            while (!doc.waiting.isEmpty()) {
                PatchOutputs e = outputs.next();
                output.patch(doc.record, doc.waiting.remove(), e, continuations.get(e));
            }
            if (doc.ended) {
                output.endRecord(doc.record);
            }
        }
        docs.removeIf(d -> d.ended);
        pending = 0;
        output.endRun();
    }
}

package dev.blt.patching;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Record segmentation with {@link RecordContext#CARRY}: a key's records go through one
 * {@link StreamPatcher}, each ended with {@link StreamPatcher#endRecord()}, and this maps the
 * patches it drains (in stream positions) back to records: index and offset from 0 within the
 * record, and which patch is a record's last.
 *
 * <p>Call {@link #begin} before a record's first byte is appended and {@link #end} just before its
 * {@code endRecord()}; hand every drained list to {@link #assign}, in order. A record's last patch
 * is drained together with its end, since the separator closes it.
 */
public final class RecordSpans {

    /** A patch of record {@code record}; {@code last} when no more of that record follow. */
    public record RecordPatch(long record, ClosedPatch patch, boolean last) {
    }

    /** The patches of one drain, and the records that ended in it (in order, patches or not). */
    public record Assigned(List<RecordPatch> patches, List<Long> endedRecords) {
    }

    private static final class Span {
        final long record;
        final long start;
        long end = -1;   // stream position of the separator once the record has ended
        long patches;

        Span(long record, long start) {
            this.record = record;
            this.start = start;
        }
    }

    private final ArrayDeque<Span> spans = new ArrayDeque<>();

    /** Record {@code record} starts at stream position {@code start} (the patcher's received()). */
    public void begin(long record, long start) {
        if (!spans.isEmpty() && spans.peekLast().end < 0) {
            throw new IllegalStateException("record " + record + " begins before record " + spans.peekLast().record
                    + " ended");
        }
        spans.addLast(new Span(record, start));
    }

    /** The open record ends at stream position {@code end} (the patcher's received() before endRecord). */
    public void end(long end) {
        if (spans.isEmpty() || spans.peekLast().end >= 0) {
            throw new IllegalStateException("no record is open");
        }
        spans.peekLast().end = end;
    }

    /** Records begun and not yet fully assigned. */
    public boolean isEmpty() {
        return spans.isEmpty();
    }

    /** Maps one drained list of patches to records; forgets the records that ended. */
    public Assigned assign(List<ClosedPatch> drained) {
        List<RecordPatch> out = new ArrayList<>(drained.size());
        var it = spans.iterator();
        Span span = it.hasNext() ? it.next() : null;
        for (ClosedPatch p : drained) {
            while (span != null && span.end >= 0 && p.startOffset() >= span.end) {
                span = it.hasNext() ? it.next() : null;
            }
            if (span == null || p.startOffset() < span.start) {
                throw new IllegalStateException("patch at stream position " + p.startOffset() + " is in no record");
            }
            ClosedPatch rebased = new ClosedPatch(span.patches++, p.startOffset() - span.start, p.bytes(), p.entropies(),
                    p.logprobs(), p.reason());
            out.add(new RecordPatch(span.record, rebased, false));
        }
        List<Long> ended = new ArrayList<>();
        while (!spans.isEmpty() && spans.peekFirst().end >= 0) {
            Span done = spans.pollFirst();
            ended.add(done.record);
            for (int i = out.size() - 1; i >= 0; i--) {
                if (out.get(i).record() == done.record) {
                    out.set(i, new RecordPatch(done.record, out.get(i).patch(), true));
                    break;
                }
            }
        }
        return new Assigned(out, ended);
    }
}

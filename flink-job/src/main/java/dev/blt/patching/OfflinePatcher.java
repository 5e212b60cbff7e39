package dev.blt.patching;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Runs the patcher core without Flink: the CLI, the benchmarks and the tests use this. */
public final class OfflinePatcher {

    private final PatcherSettings settings;
    private final EntropyScorer scorer;

    public OfflinePatcher(PatcherSettings settings, EntropyScorer scorer) {
        this.settings = settings;
        this.scorer = scorer;
    }

    /** Stream segmentation: the chunks are consecutive pieces of one stream, scored as each arrives. */
    public List<ClosedPatch> patchStream(Iterable<byte[]> chunks) {
        List<ClosedPatch> out = new ArrayList<>();
        patchStream(chunks, out::add);
        return out;
    }

    /** As {@link #patchStream(Iterable)}, handing each patch on the moment it closes. */
    public void patchStream(Iterable<byte[]> chunks, Consumer<ClosedPatch> sink) {
        StreamPatcher patcher = new StreamPatcher(settings);
        for (byte[] chunk : chunks) {
            patcher.append(chunk);
            BatchScoring.scoreAll(List.of(patcher), scorer);
            patcher.drain().forEach(sink);
        }
        patcher.finish(CloseReason.END_OF_STREAM).forEach(sink);
    }

    /**
     * Record segmentation with {@link RecordContext#CARRY}: every record is a document of its own
     * patches (offsets and indices from 0, the last closed as END_OF_RECORD at the latest), but the
     * entropy model sees the earlier records, each followed by the record separator, as context.
     * Each record is scored as it arrives, one at a time.
     */
    public List<List<ClosedPatch>> patchRecordsInContext(List<byte[]> records) {
        StreamPatcher patcher = new StreamPatcher(settings);
        RecordSpans spans = new RecordSpans();
        List<List<ClosedPatch>> out = new ArrayList<>(records.size());
        for (byte[] record : records) {
            spans.begin(out.size(), patcher.received());
            patcher.append(record);
            spans.end(patcher.received());
            patcher.endRecord();
            BatchScoring.scoreAll(List.of(patcher), scorer);
            List<ClosedPatch> patches = new ArrayList<>();
            spans.assign(patcher.drain()).patches().forEach(p -> patches.add(p.patch()));
            out.add(patches);
        }
        return out;
    }

    /** Record segmentation with the given record context. */
    public List<List<ClosedPatch>> patchRecords(List<byte[]> records, RecordContext context) {
        return context == RecordContext.CARRY ? patchRecordsInContext(records) : patchRecords(records);
    }

    /**
     * Record segmentation: every record is a document; all records are scored in one batch, so
     * memory grows with their total length. {@link RecordPatcher} gives the same patches in bounded
     * memory, from records in pieces.
     */
    public List<List<ClosedPatch>> patchRecords(List<byte[]> records) {
        List<StreamPatcher> patchers = new ArrayList<>(records.size());
        for (byte[] record : records) {
            StreamPatcher p = new StreamPatcher(settings);
            p.append(record);
            patchers.add(p);
        }
        BatchScoring.scoreAll(patchers, scorer);
        List<List<ClosedPatch>> out = new ArrayList<>(records.size());
        for (StreamPatcher p : patchers) {
            List<ClosedPatch> patches = new ArrayList<>(p.drain());
            patches.addAll(p.finish(CloseReason.END_OF_RECORD));
            out.add(patches);
        }
        return out;
    }
}

package dev.blt.sql;

import dev.blt.model.LoadedModel;
import dev.blt.patching.BatchScoring;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.RecordSpans;
import dev.blt.patching.StreamPatcher;
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.table.annotation.ArgumentHint;
import org.apache.flink.table.annotation.ArgumentTrait;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.StateHint;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.ProcessTableFunction;
import org.apache.flink.types.Row;

/**
 * {@code BLT_PATCHES}: the patching job as a process table function, with the partition key columns
 * in front of each patch:
 *
 * <pre>{@code
 * SELECT * FROM BLT_PATCHES(input => TABLE logs PARTITION BY stream_id
 *                           [, payload_column => 'line'] [, segmentation => 'stream'])
 * }</pre>
 *
 * <p>{@code segmentation => 'record'} (the default here: a row is a record, as a log line): the
 * patches of each row, each row scored after the rows before it on its key, as the DataStream job
 * with {@code --segmentation record} (and its default record context, carry). {@code 'stream'}:
 * the rows of a key are one byte stream, as the job's default {@code --segmentation stream}; a
 * patch closes when the bytes after it arrive, so the stream's last patch stays open in state (the
 * job closes it when its input ends or the key goes idle, which a PTF without event time cannot see).
 *
 * <p>The payload column (default {@code payload}) is BYTES or STRING (as UTF-8). A row whose payload
 * is NULL or empty has nothing to patch: it is skipped, takes no record_index, and is counted in the
 * metric emptyRecords (the job sends such records to its dead-letter topic).
 *
 * <p>State per stream is the patcher's snapshot, at most C + B bytes, and the next record index. A
 * PTF sees one row at a time, so a model call scores one record: all its windows in one batch,
 * large records in slices of {@link #SLICE_BYTES}. (The DataStream job batches across streams too.)
 */
@DataTypeHint("ROW<record_index BIGINT, patch_index BIGINT, start_offset BIGINT, patch_bytes BYTES, "
        + "entropies ARRAY<FLOAT>, close_reason STRING, last_in_record BOOLEAN, model_id STRING>")
public class BltPatches extends ProcessTableFunction<Row> {

    /** Bytes of a record scored per model call, as the DataStream job's slices: bounds its memory. */
    static final int SLICE_BYTES = 64 * 1024;

    private static final long serialVersionUID = 1L;

    /** What a key carries from one row to the next. */
    public static class StreamState {
        /** The patcher's snapshot ({@link StreamPatcher#snapshot()}); null before the first row. */
        public byte[] patcher;
        /** Record segmentation: the index the next row gets. */
        public long nextRecord;
    }

    private transient LoadedModel model;
    private transient PatcherSettings settings;
    private transient Counter emptyRecords;

    @Override
    public void open(FunctionContext context) {
        model = SqlModel.open(context);
        settings = model.patcherSettings();
        emptyRecords = context.getMetricGroup().counter("emptyRecords");
    }

    @Override
    public void close() {
        if (model != null) {
            model.release();
            model = null;
        }
    }

    public void eval(@StateHint StreamState state,
                     @ArgumentHint(value = ArgumentTrait.SET_SEMANTIC_TABLE, name = "input") Row input,
                     @ArgumentHint(name = "payload_column", isOptional = true) String payloadColumn,
                     @ArgumentHint(name = "segmentation", isOptional = true) String segmentation) {
        boolean stream = isStream(segmentation);
        byte[] payload = Payloads.column(input, payloadColumn);
        if (payload == null || payload.length == 0) {
            emptyRecords.inc(); // as the job, which sends them to its dead-letter topic: nothing to patch
            return;
        }
        StreamPatcher patcher = state.patcher == null ? new StreamPatcher(settings)
                : StreamPatcher.restore(settings, state.patcher);
        if (stream) {
            for (int offset = 0; offset < payload.length; offset += SLICE_BYTES) {
                patcher.append(payload, offset, Math.min(SLICE_BYTES, payload.length - offset));
                for (ClosedPatch patch : scoreAndDrain(patcher)) {
                    collect(row(null, patch, false));
                }
            }
            state.patcher = patcher.snapshot();
            return;
        }
        long record = state.nextRecord;
        RecordSpans spans = new RecordSpans();
        spans.begin(record, patcher.received());
        for (int offset = 0; offset < payload.length; offset += SLICE_BYTES) {
            int length = Math.min(SLICE_BYTES, payload.length - offset);
            patcher.append(payload, offset, length);
            if (offset + length == payload.length) {
                // Ended before scoring, as the job does: a patch that closes at the record's last byte is its last.
                spans.end(patcher.received());
                patcher.endRecord();
            }
            emit(spans, scoreAndDrain(patcher));
        }
        state.patcher = patcher.snapshot();
        state.nextRecord = record + 1;
    }

    private static boolean isStream(String segmentation) {
        if (segmentation == null || segmentation.equalsIgnoreCase("record")) {
            return false;
        }
        if (segmentation.equalsIgnoreCase("stream")) {
            return true;
        }
        throw new IllegalArgumentException("segmentation must be 'record' or 'stream', got '" + segmentation + "'");
    }

    private List<ClosedPatch> scoreAndDrain(StreamPatcher patcher) {
        BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
        return patcher.drain();
    }

    private void emit(RecordSpans spans, List<ClosedPatch> drained) {
        for (RecordSpans.RecordPatch p : spans.assign(drained).patches()) {
            collect(row(p.record(), p.patch(), p.last()));
        }
    }

    private Row row(Long record, ClosedPatch patch, boolean lastInRecord) {
        return Row.of(record, patch.patchIndex(), patch.startOffset(), patch.bytes(), SqlArrays.boxed(patch.entropies()),
                patch.reason().name(), lastInRecord, model.modelId());
    }
}

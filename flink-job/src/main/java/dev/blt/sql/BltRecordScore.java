package dev.blt.sql;

import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.bltstage.RecordEmbedding;
import dev.blt.bltstage.RecordSurprise;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import java.util.List;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.annotation.FunctionHint;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.functions.TableFunction;
import org.apache.flink.types.Row;

/**
 * {@code BLT_RECORD_SCORE(payload)}: one record's surprise and embedding under BLT, the record
 * scored alone (no stream context), as the DataStream job's RecordScore with
 * {@code --record-context reset}:
 *
 * <pre>{@code
 * SELECT l.stream_id, s.mean_bits_per_byte, s.embedding
 * FROM logs AS l, LATERAL TABLE(BLT_RECORD_SCORE(l.payload)) AS s
 * }</pre>
 *
 * <p>A table function rather than a scalar one, so that reading several of its columns runs the
 * model once. One row per non-NULL payload (BYTES, or STRING as UTF-8); none for NULL. An empty
 * record has 0 patches, an empty embedding and no most surprising patch (NULLs).
 */
@FunctionHint(output = @DataTypeHint("ROW<byte_count INT, patches INT, mean_bits_per_byte FLOAT, "
        + "max_surprise_patch_index BIGINT, max_surprise_bits_per_byte FLOAT, embedding ARRAY<FLOAT>, model_id STRING>"))
public class BltRecordScore extends TableFunction<Row> {

    private static final long serialVersionUID = 1L;

    private transient LoadedModel model;
    private transient OfflinePatcher patcher;

    @Override
    public void open(FunctionContext context) {
        model = SqlModel.open(context);
        patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
    }

    @Override
    public void close() {
        if (model != null) {
            model.release();
            model = null;
        }
    }

    public void eval(@DataTypeHint("BYTES") byte[] payload) {
        if (payload == null) {
            return;
        }
        List<ClosedPatch> patches = patcher.patchRecords(List.of(payload)).get(0);
        List<PatchOutputs> encoded = patches.isEmpty() ? List.of() : OfflineBltStage.encodeDocument(
                model.encoderSettings(), model.bltScorer(), patches.stream().map(ClosedPatch::bytes).toList());
        RecordSurprise surprise = new RecordSurprise();
        RecordEmbedding embedding = new RecordEmbedding();
        for (PatchOutputs p : encoded) {
            surprise.add(p);
            embedding.add(p.embedding());
        }
        boolean empty = encoded.isEmpty();
        collect(Row.of((int) surprise.bytes(), (int) surprise.patches(), (float) surprise.meanBitsPerByte(),
                empty ? null : surprise.maxPatchIndex(), empty ? null : (float) surprise.maxBitsPerByte(),
                SqlArrays.boxed(embedding.vector()), model.modelId()));
    }

    public void eval(String payload) {
        eval(Payloads.of(payload));
    }
}

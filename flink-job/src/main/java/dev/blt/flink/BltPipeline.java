package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.Prediction;
import dev.blt.avro.RecordScore;
import dev.blt.model.ModelSource;
import dev.blt.patching.RecordContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/** The BLT half of the job: keyBy(stream id) -> BLT stage; independent of sources and sinks. */
public final class BltPipeline {

    /** Per-patch embeddings and predictions, per-record scores (record segmentation), and patches it could not use. */
    public record Outputs(DataStream<PatchEmbedding> embeddings, DataStream<Prediction> predictions,
                          DataStream<RecordScore> recordScores, DataStream<DeadLetter> deadLetters) {
    }

    private BltPipeline() {
    }

    public static Outputs build(DataStream<PatchEvent> patches, ModelSource model, BundleSettings bundle, int topK,
                                int continuationBytes, RecordContext recordContext, int noveltyWindow,
                                long stateTtlMs, long cacheBytes, DriftSettings drift) {
        SingleOutputStreamOperator<PatchEmbedding> embeddings = patches
                .keyBy(patch -> patch.streamId())
                .transform("blt-stage", TypeInformation.of(PatchEmbedding.class),
                        new BltStageOperator(model, bundle, topK, continuationBytes, recordContext,
                                noveltyWindow, stateTtlMs, cacheBytes).withDrift(drift))
                .uid("blt-stage");
        return new Outputs(embeddings, embeddings.getSideOutput(BltStageOperator.PREDICTIONS),
                embeddings.getSideOutput(BltStageOperator.RECORD_SCORES),
                embeddings.getSideOutput(BltStageOperator.DEAD_LETTERS));
    }
}

package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.flink.ChunkDecoder;
import dev.blt.kafka.InputFormat;
import dev.blt.kafka.InputLimits;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.model.ModelSource;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The patching half of the job, independent of where records come from and where results go:
 * decode -> keyBy(stream id) -> entropy patcher. Callers attach sources and sinks, so tests can run
 * it against a real broker or collect its output directly.
 */
public final class PatchingPipeline {

    /** The pipeline's outputs: closed patches and every record that could not be used. */
    public record Outputs(DataStream<PatchEvent> patches, DataStream<DeadLetter> deadLetters) {
    }

    private PatchingPipeline() {
    }

    public static Outputs build(DataStream<KafkaInputRecord> input, InputFormat format, String defaultStreamId,
                                ModelSource model, Segmentation segmentation, RecordContext recordContext,
                                long windowCacheBytes, BundleSettings bundle, long stateTtlMs, DriftSettings drift,
                                InputLimits limits, dev.blt.kafka.SchemaRegistry registry) {
        SingleOutputStreamOperator<StreamChunk> chunks = input
                .process(new ChunkDecoder(format, defaultStreamId, limits, registry))
                .name("decode-" + format.name().toLowerCase())
                .uid("decode");
        SingleOutputStreamOperator<PatchEvent> patches = chunks
                .keyBy(chunk -> chunk.streamId())
                .transform("entropy-patcher", TypeInformation.of(PatchEvent.class),
                        new EntropyPatcherOperator(model, segmentation, recordContext, bundle, stateTtlMs,
                                windowCacheBytes).withDrift(drift))
                .uid("entropy-patcher");
        DataStream<DeadLetter> deadLetters = chunks.getSideOutput(ChunkDecoder.DEAD_LETTERS)
                .union(patches.getSideOutput(EntropyPatcherOperator.DEAD_LETTERS));
        return new Outputs(patches, deadLetters);
    }
}

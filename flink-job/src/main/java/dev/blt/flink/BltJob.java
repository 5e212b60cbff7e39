package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.Prediction;
import dev.blt.avro.RecordScore;
import dev.blt.flink.AvroRecords;
import dev.blt.kafka.BoundedKafkaSource;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.kafka.KafkaSinks;
import dev.blt.kafka.RawRecordDeserializer;
import dev.blt.kafka.SchemaRegistry;
import org.apache.avro.Schema;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import java.time.Duration;
import java.util.Optional;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Wires the job: Kafka source -> patching pipeline -> BLT stage, each output to an exactly-once
 * Kafka sink. The BLT stage can also run alone, reading the patches topic.
 */
public final class BltJob {

    private BltJob() {
    }

    /**
     * Flink configuration the options imply; pass it to the environment. Checkpoints go to a
     * filesystem and are retained on cancel and failure, restarts are bounded with a growing
     * backoff, and the job restores from the checkpoint or savepoint that {@code resume} names.
     */
    public static Configuration configuration(JobOptions o) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, o.stateBackend());
        if (JobOptions.STATE_ROCKSDB.equals(o.stateBackend())) {
            conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true); // each checkpoint uploads new files only
        }
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, o.checkpointDirectory());
        conf.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, RetainedCheckpoints.savepointDirectory(o.checkpointDirectory()));
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        conf.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 3);
        conf.set(CheckpointingOptions.CHECKPOINTING_TIMEOUT, TransactionTimeouts.checkpointTimeout(
                o.transactionTimeoutMs(), o.checkpointIntervalMs(), o.bundle().maxDelayMs()));

        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, o.maxRestarts());
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofSeconds(1));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofSeconds(30));
        // A job that then runs cleanly this long has its restart budget back.
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD, Duration.ofMinutes(10));

        resumePath(o).ifPresent(path -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, path));
        o.flinkConfiguration().forEach(conf::setString);
        return conf;
    }

    /** The checkpoint or savepoint the job restores from, if any. */
    public static Optional<String> resumePath(JobOptions o) {
        return switch (o.resume()) {
            case JobOptions.RESUME_NONE -> Optional.empty();
            case JobOptions.RESUME_LATEST -> RetainedCheckpoints.latest(o.checkpointDirectory());
            default -> Optional.of(o.resume());
        };
    }

    /**
     * The job's parallelism: --parallelism, or with auto one per core on a local MiniCluster (the
     * patcher and BLT stage each run one model session per subtask, on one intra-op thread), and 0
     * (the cluster's own default) on a cluster, whose machines are not this JVM's.
     */
    public static int parallelism(StreamExecutionEnvironment env, JobOptions o) {
        if (o.parallelism() > 0) {
            return o.parallelism();
        }
        return env instanceof org.apache.flink.streaming.api.environment.LocalStreamEnvironment
                ? Runtime.getRuntime().availableProcessors() : 0;
    }

    /** Configures env as {@link #configuration} says and adds the job's operators to it. */
    public static void build(StreamExecutionEnvironment env, JobOptions o) {
        env.configure(configuration(o));
        int parallelism = parallelism(env, o);
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }
        env.enableCheckpointing(o.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);

        Properties consumer = new Properties();
        consumer.putAll(o.kafkaProperties());
        // Upstream producers may be transactional: never read records of an aborted transaction.
        consumer.putIfAbsent("isolation.level", "read_committed");
        String inputTopic = o.stage() == JobOptions.Stage.BLT ? o.patchesTopic() : o.inputTopic();
        KafkaSourceBuilder<KafkaInputRecord> sourceBuilder = KafkaSource.<KafkaInputRecord>builder()
                .setBootstrapServers(o.bootstrapServers())
                .setTopics(inputTopic)
                .setGroupId(o.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer())
                .setProperties(consumer);
        Source<KafkaInputRecord, ?, ?> source;
        if (o.bounded()) {
            // Unbounded (the default) must not call setBounded at all: null is not "unbounded".
            source = new BoundedKafkaSource<>(sourceBuilder.setBounded(OffsetsInitializer.latest()).build());
        } else {
            source = sourceBuilder.build();
        }
        DataStream<KafkaInputRecord> input = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-" + inputTopic)
                .uid("kafka-source");

        DataStream<PatchEvent> patches;
        DataStream<DeadLetter> deadLetters;
        if (o.stage() == JobOptions.Stage.BLT) {
            SingleOutputStreamOperator<PatchEvent> decoded = input.process(new PatchDecoder(o.schemaRegistry())).name("decode-patches")
                    .uid("decode-patches");
            patches = decoded;
            deadLetters = decoded.getSideOutput(PatchDecoder.DEAD_LETTERS);
        } else {
            PatchingPipeline.Outputs out = PatchingPipeline.build(input, o.inputFormat(), o.defaultStreamId(), o.model(),
                    o.segmentation(), o.recordContext(), o.windowCacheBytes(), o.bundle(), o.stateTtlMs(), o.drift(), o.limits(),
                    o.schemaRegistry());
            patches = out.patches();
            deadLetters = out.deadLetters();
            patches.sinkTo(sink(o, o.patchesTopic(), "patches", dev.blt.avro.Patch.getClassSchema(), AvroRecords::patch, e -> KafkaSinks.utf8(e.streamId())))
                    .name("kafka-" + o.patchesTopic()).uid("patches-sink");
        }

        if (o.runsBlt()) {
            BltPipeline.Outputs blt = BltPipeline.build(patches, o.model(), o.bundle(), o.topK(),
                    o.continuationBytes(), o.recordContext(), o.noveltyWindow(), o.stateTtlMs(), o.windowCacheBytes(), o.drift());
            deadLetters = deadLetters.union(blt.deadLetters());
            if (o.embeddingsTopic() != null) {
                blt.embeddings().sinkTo(sink(o, o.embeddingsTopic(), "embeddings", PatchEmbedding.getClassSchema(), (PatchEmbedding e) -> e,
                        e -> KafkaSinks.utf8(e.getStreamId()))).name("kafka-" + o.embeddingsTopic()).uid("embeddings-sink");
            }
            if (o.predictionsTopic() != null) {
                blt.predictions().sinkTo(sink(o, o.predictionsTopic(), "predictions", Prediction.getClassSchema(), (Prediction p) -> p,
                        p -> KafkaSinks.utf8(p.getStreamId()))).name("kafka-" + o.predictionsTopic()).uid("predictions-sink");
            }
            if (o.recordScoresTopic() != null) {
                blt.recordScores().sinkTo(sink(o, o.recordScoresTopic(), "record-scores", RecordScore.getClassSchema(), (RecordScore r) -> r,
                        r -> KafkaSinks.utf8(r.getStreamId()))).name("kafka-" + o.recordScoresTopic()).uid("record-scores-sink");
            }
        }
        deadLetters.sinkTo(sink(o, o.deadLetterTopic(), "dlq", DeadLetter.getClassSchema(), (DeadLetter d) -> d,
                        d -> d.getOriginalKey() == null ? null : bytes(d.getOriginalKey())))
                .name("kafka-" + o.deadLetterTopic()).uid("dead-letter-sink");
    }

    /**
     * An exactly-once sink of topic. With a Schema Registry, the value schema is registered here,
     * before the job starts, so that registry-based consumers find every subject from the first
     * minute (the dead-letter topic's too, which may stay empty for days); the sink's serializer
     * then finds it registered.
     */
    private static <T> KafkaSink<T> sink(JobOptions o, String topic, String name, Schema schema,
                                         KafkaSinks.SerializableFunction<T, ? extends SpecificRecord> toAvro,
                                         KafkaSinks.SerializableFunction<T, byte[]> keyOf) {
        if (o.schemaRegistry() != null) {
            o.schemaRegistry().register(SchemaRegistry.valueSubject(topic), schema);
        }
        return KafkaSinks.exactlyOnce(o.bootstrapServers(), topic, o.transactionalIdPrefix() + "-" + name,
                o.kafkaProperties(), toAvro, keyOf, o.schemaRegistry());
    }

    private static byte[] bytes(java.nio.ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}

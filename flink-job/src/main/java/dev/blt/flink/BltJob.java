package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.kafka.AvroRecords;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.kafka.KafkaSinks;
import dev.blt.kafka.RawRecordDeserializer;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/** Wires the job: Kafka source -> patching pipeline -> exactly-once Kafka sinks. */
public final class BltJob {

    private BltJob() {
    }

    /** Flink configuration the options imply (checkpoint storage); pass it to the environment. */
    public static Configuration configuration(JobOptions o) {
        Configuration conf = new Configuration();
        if (o.checkpointDirectory() != null) {
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, o.checkpointDirectory());
        }
        return conf;
    }

    /** Adds the job's operators to env. */
    public static void build(StreamExecutionEnvironment env, JobOptions o) {
        env.setParallelism(o.parallelism());
        env.enableCheckpointing(o.checkpointIntervalMs(), CheckpointingMode.EXACTLY_ONCE);

        Properties consumer = new Properties();
        consumer.putAll(o.kafkaProperties());
        // Upstream producers may be transactional: never patch bytes of an aborted transaction.
        consumer.putIfAbsent("isolation.level", "read_committed");
        KafkaSource<KafkaInputRecord> source = KafkaSource.<KafkaInputRecord>builder()
                .setBootstrapServers(o.bootstrapServers())
                .setTopics(o.inputTopic())
                .setGroupId(o.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer())
                .setProperties(consumer)
                .setBounded(o.bounded() ? OffsetsInitializer.latest() : null)
                .build();
        DataStream<KafkaInputRecord> input = env
                .fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-" + o.inputTopic())
                .uid("kafka-source");

        PatchingPipeline.Outputs out = PatchingPipeline.build(input, o.inputFormat(), o.defaultStreamId(), o.model(),
                o.segmentation(), o.bundle());

        out.patches().sinkTo(KafkaSinks.exactlyOnce(o.bootstrapServers(), o.patchesTopic(),
                        o.transactionalIdPrefix() + "-patches", o.kafkaProperties(), AvroRecords::patch,
                        e -> KafkaSinks.utf8(e.streamId)))
                .name("kafka-" + o.patchesTopic()).uid("patches-sink");
        out.deadLetters().sinkTo(KafkaSinks.<DeadLetter>exactlyOnce(o.bootstrapServers(), o.deadLetterTopic(),
                        o.transactionalIdPrefix() + "-dlq", o.kafkaProperties(), d -> d,
                        d -> d.getOriginalKey() == null ? null : bytes(d.getOriginalKey())))
                .name("kafka-" + o.deadLetterTopic()).uid("dead-letter-sink");
    }

    private static byte[] bytes(java.nio.ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}

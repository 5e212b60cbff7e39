package dev.blt.kafka.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves the version set: Flink 2.2 on a MiniCluster reads Kafka with a bounded KafkaSource and
 * writes it back with an exactly-once (transactional) KafkaSink, with checkpoints.
 */
@Timeout(180)
class KafkaFlinkRoundTripITCase {

    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(PARALLELISM)
                    .build());

    @RegisterExtension
    static final KafkaBrokerExtension BROKER = new KafkaBrokerExtension();

    @Test
    void uppercasesExactlyOnce() throws Exception {
        String input = "roundtrip-in";
        String output = "roundtrip-out";
        BROKER.createTopic(input, PARALLELISM);
        BROKER.createTopic(output, PARALLELISM);

        List<String> expected = new ArrayList<>();
        try (KafkaProducer<String, String> producer =
                KafkaTestClients.transactionalProducer(BROKER.bootstrapServers(), "roundtrip-input-tx")) {
            producer.beginTransaction();
            for (int i = 0; i < 200; i++) {
                String value = "line " + i + " of the byte stream";
                producer.send(new ProducerRecord<>(input, "stream-" + (i % 5), value));
                expected.add(value.toUpperCase());
            }
            producer.commitTransaction();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(PARALLELISM);
        env.enableCheckpointing(500);

        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers(BROKER.bootstrapServers())
                .setTopics(input)
                .setGroupId("roundtrip-" + UUID.randomUUID())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .setProperty("isolation.level", "read_committed")
                .build();

        KafkaSink<String> sink = KafkaSink.<String>builder()
                .setBootstrapServers(BROKER.bootstrapServers())
                .setRecordSerializer(KafkaRecordSerializationSchema.builder()
                        .setTopic(output)
                        .setValueSerializationSchema(new SimpleStringSchema())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("roundtrip-" + UUID.randomUUID())
                // Must stay under the broker's transaction.max.timeout.ms (15 min by default).
                .setProperty("transaction.timeout.ms", "60000")
                .build();

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kafka-in")
                .map(String::toUpperCase)
                .returns(Types.STRING)
                .name("uppercase")
                .sinkTo(sink)
                .name("kafka-out");

        env.execute("kafka-flink-roundtrip");

        List<String> actual = KafkaTestClients.readCommittedValues(
                BROKER.bootstrapServers(), output, Duration.ofSeconds(30));
        assertEquals(sorted(expected), sorted(actual));
    }

    private static List<String> sorted(List<String> values) {
        return values.stream().sorted().collect(Collectors.toList());
    }
}

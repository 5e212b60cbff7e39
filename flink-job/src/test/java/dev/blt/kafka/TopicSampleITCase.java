package dev.blt.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.kafka.testing.TestKafkaBroker;
import dev.blt.kafka.testing.TestKafkaBrokers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `blt adapt`'s sample: the newest committed records of each partition, about an equal share of
 * the bytes asked for, never a record of an aborted transaction.
 */
@Timeout(180)
class TopicSampleITCase {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void takesTheNewestCommittedRecordsOfEveryPartition() throws Exception {
        try (TestKafkaBroker broker = TestKafkaBrokers.start()) {
            String topic = "sample.in";
            broker.createTopic(topic, 2);
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "topic-sample-test");
            try (KafkaProducer<byte[], byte[]> producer =
                         new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
                send(producer, topic, "committed", 0, 1500, true);
                send(producer, topic, "ABORTED", 0, 200, false);
                send(producer, topic, "committed", 1500, 2000, true);
            }
            // Every value is 20 bytes ("committed-0000 ...\n"): 400 bytes are the newest 10 per partition.
            List<TopicSample.Partition> sample = TopicSample.newest(broker.bootstrapServers(), topic, 400, TIMEOUT);
            assertEquals(2, sample.size());
            for (TopicSample.Partition p : sample) {
                List<String> values = values(p.records());
                assertEquals(10, values.size(), values::toString);
                int partition = p.partition().partition();
                for (int i = 0; i < 10; i++) {
                    // partition k holds the records whose number is k mod 2, in order; the newest are 1980..1999
                    assertEquals(String.format("committed-%04d", 1980 + partition + 2 * i), values.get(i).substring(0, 14));
                }
            }
            // Asking for more than there is: every committed record, none of the aborted ones.
            List<TopicSample.Partition> all = TopicSample.newest(broker.bootstrapServers(), topic, 1 << 20, TIMEOUT);
            List<String> values = all.stream().flatMap(p -> values(p.records()).stream()).toList();
            assertEquals(2000, values.size());
            assertTrue(values.stream().allMatch(v -> v.startsWith("committed-")));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TopicSample.newest(broker.bootstrapServers(), "no.such.topic", 400, Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String what, int from, int to,
                             boolean commit) {
        producer.beginTransaction();
        for (int i = from; i < to; i++) {
            byte[] value = String.format("%s-%04d %s%n", what, i, "x".repeat(19 - what.length() - 6))
                    .getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(topic, i % 2, null, value));
        }
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.flush();
            producer.abortTransaction();
        }
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}

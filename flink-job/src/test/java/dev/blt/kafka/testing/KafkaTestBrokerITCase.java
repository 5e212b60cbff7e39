package dev.blt.kafka.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The test broker is a real broker: topics, and transactions that commit and abort. */
@Timeout(120)
class KafkaTestBrokerITCase {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @RegisterExtension
    static final KafkaBrokerExtension BROKER = new KafkaBrokerExtension();

    @Test
    void committedTransactionIsVisibleAndAbortedOneIsNot() throws Exception {
        assertNotNull(BROKER.bootstrapServers());
        String topic = "broker-smoke";
        BROKER.createTopic(topic, 3);

        List<String> committed = new ArrayList<>();
        try (KafkaProducer<String, String> producer =
                KafkaTestClients.transactionalProducer(BROKER.bootstrapServers(), "broker-smoke-tx")) {
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) {
                String value = "committed-" + i;
                producer.send(new ProducerRecord<>(topic, "key-" + (i % 3), value));
                committed.add(value);
            }
            producer.commitTransaction();

            producer.beginTransaction();
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + (i % 3), "aborted-" + i));
            }
            producer.flush(); // the aborted records really reach the log
            producer.abortTransaction();

            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "key-0", "after-abort"));
            committed.add("after-abort");
            producer.commitTransaction();
        }

        List<String> readCommitted = KafkaTestClients.readCommittedValues(BROKER.bootstrapServers(), topic, READ_TIMEOUT);
        assertEquals(sorted(committed), sorted(readCommitted), "read_committed sees exactly the committed records");
        assertFalse(readCommitted.stream().anyMatch(v -> v.startsWith("aborted-")), "aborted records are not visible");

        // read_uncommitted does see the aborted records: they were written, then aborted.
        List<String> readUncommitted = KafkaTestClients
                .readAll(BROKER.bootstrapServers(), topic, "read_uncommitted", READ_TIMEOUT).stream()
                .map(ConsumerRecord::value)
                .collect(Collectors.toList());
        assertTrue(readUncommitted.stream().filter(v -> v.startsWith("aborted-")).count() == 5,
                "read_uncommitted sees the 5 aborted records, got " + readUncommitted);
        assertEquals(committed.size() + 5, readUncommitted.size());
    }

    private static List<String> sorted(List<String> values) {
        return values.stream().sorted().collect(Collectors.toList());
    }
}

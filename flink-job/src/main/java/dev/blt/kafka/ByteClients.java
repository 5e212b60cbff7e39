package dev.blt.kafka;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Plain Kafka clients with byte keys and values, outside the Flink job: the demo's producer, the
 * reader of output topics, and the tests' producers.
 */
public final class ByteClients {

    private ByteClients() {
    }

    /**
     * An idempotent producer (which implies acks=all), so a retried send is written once.
     *
     * @param overrides producer properties applied last, e.g. a larger max.request.size
     */
    public static KafkaProducer<byte[], byte[]> idempotentProducer(String bootstrapServers, Map<String, ?> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.putAll(overrides);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public static KafkaProducer<byte[], byte[]> idempotentProducer(String bootstrapServers) {
        return idempotentProducer(bootstrapServers, Map.of());
    }

    /** A consumer without a group that sees committed records only, for reading a topic back. */
    public static KafkaConsumer<byte[], byte[]> readCommittedConsumer(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}

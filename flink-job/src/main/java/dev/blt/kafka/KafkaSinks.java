package dev.blt.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Exactly-once Kafka sinks whose values are Avro records (in single-object encoding, or in the Schema
 * Registry wire format when a registry is given) and whose keys are the stream id, so each stream's
 * records stay in order within one partition.
 */
public final class KafkaSinks {

    /**
     * The broker's default transaction.max.timeout.ms (15 min). Long on purpose: a transaction that
     * was pre-committed in a checkpoint is committed again when the job resumes from it, and only
     * if the broker has not aborted it meanwhile, so this bounds the downtime a crash can have
     * without losing output. (A resumed job aborts its lingering open transactions at once, so a
     * long timeout does not hold read_committed consumers back after a restart.)
     */
    public static final String DEFAULT_TRANSACTION_TIMEOUT_MS = "900000";

    private KafkaSinks() {
    }

    /**
     * @param toAvro maps an element to its Avro record
     * @param keyOf  maps an element to its Kafka key (the stream id), or null
     * @param registry where the values' schema is registered (subject {@code <topic>-value}), or null for
     *                 single-object encoding
     */
    public static <T> KafkaSink<T> exactlyOnce(String bootstrapServers, String topic, String transactionalIdPrefix,
                                               Properties clientProperties, SerializableFunction<T, ? extends SpecificRecord> toAvro,
                                               SerializableFunction<T, byte[]> keyOf, SchemaRegistry registry) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.putIfAbsent("transaction.timeout.ms", DEFAULT_TRANSACTION_TIMEOUT_MS);
        return KafkaSink.<T>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(props)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .setRecordSerializer(new AvroRecordSerializer<>(topic, toAvro, keyOf, registry))
                .build();
    }

    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Key = the element's stream id, value = its Avro record, framed as the sink was told. */
    static final class AvroRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final SerializableFunction<T, ? extends SpecificRecord> toAvro;
        private final SerializableFunction<T, byte[]> keyOf;
        private final SchemaRegistry registry;
        // Registered on first use (registering is idempotent); transient, so null again after deserialization.
        private transient Integer schemaId;

        AvroRecordSerializer(String topic, SerializableFunction<T, ? extends SpecificRecord> toAvro,
                             SerializableFunction<T, byte[]> keyOf, SchemaRegistry registry) {
            this.topic = topic;
            this.toAvro = toAvro;
            this.keyOf = keyOf;
            this.registry = registry;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
            SpecificRecord record = toAvro.apply(element);
            byte[] value;
            if (registry == null) {
                value = AvroBytes.encode(record);
            } else {
                if (schemaId == null) {
                    schemaId = registry.register(SchemaRegistry.valueSubject(topic), record.getSchema());
                }
                value = AvroBytes.encodeForRegistry(schemaId, record);
            }
            return new ProducerRecord<>(topic, null, timestamp, keyOf.apply(element), value);
        }
    }

    /** A function that Flink can ship to the task managers. */
    public interface SerializableFunction<A, B> extends Function<A, B>, java.io.Serializable {
    }
}

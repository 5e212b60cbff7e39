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
 * Exactly-once Kafka sinks whose values are Avro records in single-object encoding and whose keys
 * are the stream id, so each stream's records stay in order within one partition.
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
     */
    public static <T> KafkaSink<T> exactlyOnce(String bootstrapServers, String topic, String transactionalIdPrefix,
                                               Properties clientProperties, SerializableFunction<T, ? extends SpecificRecord> toAvro,
                                               SerializableFunction<T, byte[]> keyOf) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.putIfAbsent("transaction.timeout.ms", DEFAULT_TRANSACTION_TIMEOUT_MS);
        return KafkaSink.<T>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(props)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .setRecordSerializer(new AvroRecordSerializer<>(topic, toAvro, keyOf))
                .build();
    }

    public static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Key = the element's stream id, value = its Avro record in single-object encoding. */
    static final class AvroRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final SerializableFunction<T, ? extends SpecificRecord> toAvro;
        private final SerializableFunction<T, byte[]> keyOf;

        AvroRecordSerializer(String topic, SerializableFunction<T, ? extends SpecificRecord> toAvro,
                             SerializableFunction<T, byte[]> keyOf) {
            this.topic = topic;
            this.toAvro = toAvro;
            this.keyOf = keyOf;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, timestamp, keyOf.apply(element), AvroBytes.encode(toAvro.apply(element)));
        }
    }

    /** A function that Flink can ship to the task managers. */
    public interface SerializableFunction<A, B> extends Function<A, B>, java.io.Serializable {
    }
}

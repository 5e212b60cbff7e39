package dev.blt.kafka;

/** A Kafka record exactly as read, before any decoding: decoding errors become dead letters. */
public record KafkaInputRecord(byte[] key, byte[] value, String topic, int partition, long offset, long timestampMs) {
}

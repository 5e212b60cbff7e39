package dev.blt.kafka;

/** A Kafka record exactly as read, before any decoding: decoding errors become dead letters. */
public class KafkaInputRecord {
    public byte[] key;
    public byte[] value;
    public String topic;
    public int partition;
    public long offset;
    public long timestampMs;

    public KafkaInputRecord() {
    }

    public KafkaInputRecord(byte[] key, byte[] value, String topic, int partition, long offset, long timestampMs) {
        this.key = key;
        this.value = value;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestampMs = timestampMs;
    }
}

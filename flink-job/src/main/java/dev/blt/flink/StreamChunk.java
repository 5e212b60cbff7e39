package dev.blt.flink;

/**
 * A decoded input record: bytes of one stream, plus where it came from (for dead letters).
 * A Flink POJO: public fields and a no-argument constructor.
 */
public class StreamChunk {
    /** The stream (key) this chunk belongs to. */
    public String streamId;
    /** Producer's sequence number (Avro input), or -1 when the format has none. */
    public long sequence = -1;
    /** Producer's session (Avro input); a new session starts a new sequence. Null when none. */
    public String producerSession;
    public byte[] payload;
    public String topic;
    public int partition;
    public long offset;
    public long timestampMs;

    public StreamChunk() {
    }

    public StreamChunk(String streamId, long sequence, byte[] payload, String topic, int partition, long offset,
                       long timestampMs) {
        this(streamId, sequence, null, payload, topic, partition, offset, timestampMs);
    }

    public StreamChunk(String streamId, long sequence, String producerSession, byte[] payload, String topic,
                       int partition, long offset, long timestampMs) {
        this.streamId = streamId;
        this.producerSession = producerSession;
        this.sequence = sequence;
        this.payload = payload;
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestampMs = timestampMs;
    }
}

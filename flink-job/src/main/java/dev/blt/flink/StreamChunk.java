package dev.blt.flink;

/**
 * A decoded input record: bytes of one stream, plus where it came from (for dead letters).
 *
 * @param streamId        the stream (key) this chunk belongs to
 * @param sequence        the producer's sequence number (Avro input), or -1 when the format has none
 * @param producerSession the producer's session (Avro input), where a new session starts a new
 *                        sequence; null when there is none
 */
public record StreamChunk(String streamId, long sequence, String producerSession, byte[] payload, String topic,
                          int partition, long offset, long timestampMs) {

    /** A chunk with no producer session. */
    public StreamChunk(String streamId, long sequence, byte[] payload, String topic, int partition, long offset,
                       long timestampMs) {
        this(streamId, sequence, null, payload, topic, partition, offset, timestampMs);
    }
}

package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import java.nio.ByteBuffer;

/** Builds DeadLetter records: the reason, the original bytes and where they came from. */
public final class DeadLetters {

    private DeadLetters() {
    }

    public static DeadLetter of(String reason, byte[] key, byte[] value, String topic, int partition, long offset,
                                long timestampMs) {
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setTopic(topic == null ? "" : topic)
                .setPartition(partition)
                .setOffset(offset)
                .setTimestampMs(timestampMs)
                .build();
    }

    static DeadLetter of(String reason, StreamChunk chunk) {
        byte[] key = chunk.streamId == null ? null : chunk.streamId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return of(reason, key, chunk.payload, chunk.topic, chunk.partition, chunk.offset, chunk.timestampMs);
    }
}

package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import java.nio.ByteBuffer;

/**
 * Builds DeadLetter records: the reason, the original bytes and where they came from. A dead letter
 * must always be writable, so originals beyond {@link #MAX_VALUE_BYTES} (value) or
 * {@link #MAX_KEY_BYTES} (key) are cut to that size and flagged, with the whole value's length and
 * SHA-256 kept: a 5 MB poison record would otherwise fail the dead-letter write itself (the
 * producer's 1 MB max.request.size) and restart the job forever.
 */
public final class DeadLetters {

    public static final int MAX_VALUE_BYTES = 64 * 1024;
    public static final int MAX_KEY_BYTES = 4 * 1024;

    private DeadLetters() {
    }

    public static DeadLetter of(String reason, byte[] key, byte[] value, String topic, int partition, long offset,
                                long timestampMs) {
        boolean truncated = (key != null && key.length > MAX_KEY_BYTES) || (value != null && value.length > MAX_VALUE_BYTES);
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key, 0, Math.min(key.length, MAX_KEY_BYTES)).slice())
                .setOriginalValue(value == null ? null
                        : ByteBuffer.wrap(value, 0, Math.min(value.length, MAX_VALUE_BYTES)).slice())
                .setTopic(topic == null ? "" : topic)
                .setPartition(partition)
                .setOffset(offset)
                .setTimestampMs(timestampMs)
                .setTruncated(truncated)
                .setOriginalValueLength(value == null ? null : (long) value.length)
                .setOriginalValueSha256(value == null ? null : sha256(value))
                .setOriginalKeyLength(key == null ? null : (long) key.length)
                .build();
    }

    static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static DeadLetter of(String reason, StreamChunk chunk) {
        byte[] key = chunk.streamId() == null ? null : chunk.streamId().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return of(reason, key, chunk.payload(), chunk.topic(), chunk.partition(), chunk.offset(), chunk.timestampMs());
    }
}

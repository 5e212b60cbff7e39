package dev.blt.kafka;

import java.io.Serializable;

/**
 * Size limits on input records, checked before anything is allocated for them. A record over a
 * limit is a dead letter, never a failure: one huge key or value must not stop the other streams.
 *
 * @param maxKeyBytes    longest stream id (Kafka key, or ByteChunk.stream_id). Every output record
 *                       carries the stream id, so a huge one would make every output too large.
 * @param maxRecordBytes longest input value. Records up to this size are patched in bounded slices;
 *                       the time a record holds back the next checkpoint grows with its size, so
 *                       raise it together with the transaction timeout.
 */
public record InputLimits(int maxKeyBytes, int maxRecordBytes) implements Serializable {

    /** 4 KiB keys; 1 MiB values, the largest record a Kafka broker accepts by default. */
    public static final InputLimits DEFAULT = new InputLimits(4 * 1024, 1024 * 1024);

    /** Output records must stay far below the producer's 1 MB request size. */
    public static final int KEY_BYTES_CAP = 64 * 1024;

    public InputLimits {
        if (maxKeyBytes < 1 || maxKeyBytes > KEY_BYTES_CAP) {
            throw new IllegalArgumentException("max key bytes must be between 1 and " + KEY_BYTES_CAP
                    + " (every output record carries the key), got " + maxKeyBytes);
        }
        if (maxRecordBytes < 1) {
            throw new IllegalArgumentException("max record bytes must be >= 1, got " + maxRecordBytes);
        }
    }
}

package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.DeadLetter;
import dev.blt.kafka.AvroBytes;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A dead letter always fits a Kafka request: big originals are cut, flagged and fingerprinted. */
class DeadLettersTest {

    @Test
    void aFiveMegabyteValueAndAHugeKeyAreCutFlaggedAndFingerprinted() throws Exception {
        byte[] value = new byte[5 * 1024 * 1024];
        new Random(1).nextBytes(value);
        byte[] key = new byte[1_100_000];
        Arrays.fill(key, (byte) 'k');
        DeadLetter d = DeadLetters.of("bad", key, value, "in", 3, 17, 99);
        byte[] encoded = AvroBytes.encode(d);
        assertTrue(encoded.length < 100 * 1024, "encoded dead letter is " + encoded.length + " bytes");

        DeadLetter read = DeadLetter.getDecoder().decode(encoded);
        assertTrue(read.getTruncated());
        assertEquals(ByteBuffer.wrap(value, 0, DeadLetters.MAX_VALUE_BYTES), read.getOriginalValue());
        assertEquals(DeadLetters.MAX_KEY_BYTES, read.getOriginalKey().remaining());
        assertEquals(value.length, read.getOriginalValueLength());
        assertEquals(key.length, read.getOriginalKeyLength());
        assertEquals(DeadLetters.sha256(value), read.getOriginalValueSha256().toString());
        assertEquals(64, read.getOriginalValueSha256().length());
    }

    @Test
    void smallOriginalsAreKeptWholeAndTombstonesHaveNoValueFields() throws Exception {
        DeadLetter d = DeadLetter.getDecoder().decode(AvroBytes.encode(
                DeadLetters.of("bad", "k".getBytes(), new byte[] {1, 2, 3}, "in", 0, 0, 0)));
        assertFalse(d.getTruncated());
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), d.getOriginalValue());
        assertEquals(3L, d.getOriginalValueLength());
        DeadLetter tombstone = DeadLetters.of("tombstone", null, null, "in", 0, 0, 0);
        assertNull(tombstone.getOriginalValueLength());
        assertNull(tombstone.getOriginalValueSha256());
        assertNull(tombstone.getOriginalKeyLength());
    }
}

package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.DeadLetter;
import dev.blt.kafka.AvroBytes;
import dev.blt.testing.HostileBytes;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/**
 * Whatever the size of the original key and value, a dead letter fits the producer's 1 MB
 * max.request.size, and says truthfully what it kept: the first bytes, whether they were cut, the
 * whole lengths and the whole value's SHA-256.
 */
class DeadLettersPropertiesTest {

    /** The producer's default max.request.size. */
    private static final int MAX_REQUEST_BYTES = 1024 * 1024;

    @Property(tries = 150)
    void aDeadLetterFitsARequestAndDescribesItsOriginal(@ForAll("originals") byte[] key,
                                                        @ForAll("originals") byte[] value,
                                                        @ForAll("reasons") String reason,
                                                        @ForAll("topics") String topic,
                                                        @ForAll int partition, @ForAll long offset, @ForAll long time)
            throws Exception {
        DeadLetter letter = DeadLetters.of(reason, key, value, topic, partition, offset, time);
        byte[] encoded = AvroBytes.encode(letter);
        assertTrue(encoded.length < MAX_REQUEST_BYTES, "a dead letter of " + encoded.length + " bytes");
        DeadLetter read = DeadLetter.getDecoder().decode(encoded);
        assertEquals(letter, read);

        boolean cut = key != null && key.length > DeadLetters.MAX_KEY_BYTES
                || value != null && value.length > DeadLetters.MAX_VALUE_BYTES;
        assertEquals(cut, read.getTruncated());
        assertEquals(reason, read.getReason());
        assertEquals(topic == null ? "" : topic, read.getTopic());
        assertEquals(partition, read.getPartition());
        assertEquals(offset, read.getOffset());
        assertEquals(time, read.getTimestampMs());
        if (key == null) {
            assertNull(read.getOriginalKey());
            assertNull(read.getOriginalKeyLength());
        } else {
            assertEquals(ByteBuffer.wrap(key, 0, Math.min(key.length, DeadLetters.MAX_KEY_BYTES)),
                    read.getOriginalKey());
            assertEquals(key.length, read.getOriginalKeyLength());
        }
        if (value == null) {
            assertNull(read.getOriginalValue());
            assertNull(read.getOriginalValueLength());
            assertNull(read.getOriginalValueSha256());
        } else {
            assertEquals(ByteBuffer.wrap(value, 0, Math.min(value.length, DeadLetters.MAX_VALUE_BYTES)),
                    read.getOriginalValue());
            assertEquals(value.length, read.getOriginalValueLength());
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value);
            assertEquals(String.format("%064x", new BigInteger(1, digest)), read.getOriginalValueSha256());
        }
    }

    /** Null, empty, around the 4 KiB and 64 KiB cuts, and anything up to 5 MB. */
    @Provide
    Arbitrary<byte[]> originals() {
        int key = DeadLetters.MAX_KEY_BYTES;
        int value = DeadLetters.MAX_VALUE_BYTES;
        Arbitrary<Integer> sizes = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of(0, 1, key - 1, key, key + 1, value - 1, value, value + 1)),
                Tuple.of(3, Arbitraries.integers().between(0, 2 * value)),
                Tuple.of(2, Arbitraries.integers().between(0, 5 * 1024 * 1024)
                        .withDistribution(RandomDistribution.uniform())));
        return HostileBytes.randomArrays(sizes).injectNull(0.1);
    }

    @Provide
    Arbitrary<String> reasons() {
        return HostileBytes.unicode(300);
    }

    @Provide
    Arbitrary<String> topics() {
        return HostileBytes.unicode(60).injectNull(0.2);
    }
}

package dev.blt.flink;

import static dev.blt.testing.HostileBytes.avroLong;
import static dev.blt.testing.HostileBytes.concat;
import static dev.blt.testing.HostileBytes.varint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blt.avro.ByteChunk;
import dev.blt.kafka.AvroBytes;
import dev.blt.kafka.InputFormat;
import dev.blt.kafka.InputLimits;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.testing.HostileBytes;
import dev.blt.testing.HostileBytes.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Hostile input for {@link ChunkDecoder}: whatever the bytes, a record is a chunk or a
 * {@link ChunkDecoder.BadRecordException} with a reason (a dead letter), never another exception
 * or an Error, and decoding it allocates in proportion to the bytes the record has, never to the
 * lengths it claims. Valid chunks round-trip exactly, or are refused for the documented reason.
 */
class ChunkDecoderPropertiesTest {

    private static final ChunkDecoder AVRO = new ChunkDecoder(InputFormat.AVRO, ChunkDecoder.DEFAULT_STREAM_ID);
    /** Room for every stream id generated here, so that only the forged length can be refused. */
    private static final ChunkDecoder ROOMY = new ChunkDecoder(InputFormat.AVRO, ChunkDecoder.DEFAULT_STREAM_ID,
            new InputLimits(InputLimits.KEY_BYTES_CAP, InputLimits.DEFAULT.maxRecordBytes()));

    // ---------------------------------------------------------------------------------------------
    // Anything at all, truncated records, changed bytes, lying lengths, odd union branches
    // ---------------------------------------------------------------------------------------------

    @Property(tries = 1000)
    void anyBytesAreAChunkOrADeadLetter(@ForAll("anyValues") byte[] value) {
        chunkOrDeadLetter(AVRO, value);
    }

    @Provide
    Arbitrary<byte[]> anyValues() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
        // Behind a real header the bytes get past the fingerprint, to the length checks and Avro.
        Arbitrary<byte[]> afterHeader = Combinators.combine(Arbitraries.of(false, true), random)
                .as((v1, body) -> concat(List.of(Arrays.copyOf(encode(SAMPLE, v1), HEADER_BYTES), body)));
        return Arbitraries.oneOf(random, afterHeader);
    }

    @Property(tries = 500)
    void everyTruncatedRecordIsADeadLetter(@ForAll("chunks") Chunk chunk, @ForAll boolean v1,
                                           @ForAll @IntRange(min = 0, max = 1_000_000) int cut) {
        byte[] whole = encode(chunk, v1);
        byte[] truncated = Arrays.copyOf(whole, cut % whole.length);
        Outcome<StreamChunk> outcome = chunkOrDeadLetter(AVRO, truncated);
        assertNull(outcome.value(), "a record cut to " + truncated.length + " of " + whole.length + " bytes decoded");
    }

    @Property(tries = 1000)
    void aRecordWithOneByteChangedIsAChunkOrADeadLetter(@ForAll("chunks") Chunk chunk, @ForAll boolean v1,
                                                        @ForAll @IntRange(min = 0, max = 1_000_000) int at,
                                                        @ForAll @IntRange(min = 1, max = 255) int xor) {
        byte[] value = encode(chunk, v1);
        value[at % value.length] ^= (byte) xor;
        chunkOrDeadLetter(AVRO, value);
    }

    @Property(tries = 500)
    void aLengthTheRecordCannotHoldIsRefusedBeforeAnyAllocation(
            @ForAll("chunks") Chunk chunk, @ForAll boolean v1, @ForAll @IntRange(min = 0, max = 2) int field,
            @ForAll("impossibleLengths") long claim) {
        int part = LENGTH_PARTS[v1 ? field % 2 : field];
        List<byte[]> parts = chunk.withSession().parts(v1);
        parts.set(part, avroLong(claim));
        byte[] forged = concat(parts);
        Assume.that(claim < 0 || claim > forged.length);
        Outcome<StreamChunk> outcome = chunkOrDeadLetter(ROOMY, forged);
        assertTrue(outcome.thrown() != null && outcome.thrown().getMessage().contains("claims " + claim + " bytes"),
                "a claim of " + claim + " bytes: " + outcome);
    }

    @Provide
    Arbitrary<Long> impossibleLengths() {
        return HostileBytes.impossibleLengths();
    }

    /**
     * A union branch is an Avro int: five bytes at most, bits beyond 32 dropped. A branch written
     * as 2 + 2^32 is branch 1 to Avro whatever it is as a long, and the length that follows it
     * must still be checked before Avro allocates it.
     */
    @Property(tries = 1000)
    void oddUnionBranchesAreAChunkOrADeadLetter(@ForAll("chunks") Chunk chunk, @ForAll boolean timeBranch,
                                                @ForAll("oddIndexes") long branch,
                                                @ForAll("impossibleLengths") long sessionLength) {
        List<byte[]> parts = chunk.withSession().withEventTime().parts(false);
        parts.set(timeBranch ? TIME_BRANCH : SESSION_BRANCH, varint(branch));
        parts.set(SESSION_LENGTH, avroLong(sessionLength));
        chunkOrDeadLetter(AVRO, concat(parts));
    }

    @Provide
    Arbitrary<Long> oddIndexes() {
        return HostileBytes.oddIndexes();
    }

    /** The forgeries above edit {@link Chunk#parts}: it must be the very encoding Avro writes. */
    @Property(tries = 200)
    void thePartsAreAvrosEncoding(@ForAll("chunks") Chunk chunk, @ForAll boolean v1) {
        assertArrayEquals(encode(chunk, v1), concat(chunk.parts(v1)));
    }

    // ---------------------------------------------------------------------------------------------
    // Valid chunks: exact round trip, or the documented refusal
    // ---------------------------------------------------------------------------------------------

    @Property(tries = 1000)
    void aValidChunkRoundTripsOrIsRefusedForTheDocumentedReason(@ForAll("chunks") Chunk chunk, @ForAll boolean v1,
                                                                @ForAll("limits") InputLimits limits,
                                                                @ForAll long kafkaTimestamp) {
        byte[] value = encode(chunk, v1);
        KafkaInputRecord record = new KafkaInputRecord(null, value, "in", 3, 17, kafkaTimestamp);
        Outcome<StreamChunk> outcome = HostileBytes.decode(value.length,
                () -> new ChunkDecoder(InputFormat.AVRO, ChunkDecoder.DEFAULT_STREAM_ID, limits).decodeAvro(record));
        String session = v1 ? null : chunk.session();
        int idBytes = utf8(chunk.streamId()).length;
        String refusal = value.length > limits.maxRecordBytes()
                ? "record of " + value.length + " bytes is larger than the maximum record size of "
                        + limits.maxRecordBytes() + " bytes"
                : idBytes > limits.maxKeyBytes() ? "stream id of " + idBytes + " bytes; at most " + limits.maxKeyBytes()
                : session != null && utf8(session).length > limits.maxKeyBytes()
                        ? "producer_session of " + utf8(session).length + " bytes"
                : idBytes == 0 ? "ByteChunk has an empty stream_id"
                : chunk.sequence() < 0 ? "ByteChunk has a negative sequence " + chunk.sequence()
                : chunk.payload().length == 0 ? ChunkDecoder.EMPTY
                : null;
        StreamChunk decoded = decodedUnlessRefused(outcome, refusal);
        if (decoded == null) {
            return;
        }
        assertEquals(chunk.streamId(), decoded.streamId());
        assertEquals(chunk.sequence(), decoded.sequence());
        assertEquals(session, decoded.producerSession());
        assertArrayEquals(chunk.payload(), decoded.payload());
        assertEquals(chunk.eventTimeMs() == null ? kafkaTimestamp : chunk.eventTimeMs(), decoded.timestampMs());
        assertEquals("in", decoded.topic());
        assertEquals(3, decoded.partition());
        assertEquals(17, decoded.offset());
    }

    @Provide
    Arbitrary<InputLimits> limits() {
        return Arbitraries.oneOf(Arbitraries.just(InputLimits.DEFAULT),
                Combinators.combine(Arbitraries.integers().between(1, 64), Arbitraries.integers().between(1, 4096))
                        .as(InputLimits::new),
                Combinators.combine(Arbitraries.of(1, 4096, InputLimits.KEY_BYTES_CAP),
                        Arbitraries.of(1, 64 * 1024, 1024 * 1024, Integer.MAX_VALUE)).as(InputLimits::new));
    }

    // ---------------------------------------------------------------------------------------------
    // Raw records: the key is the stream id, the value the payload
    // ---------------------------------------------------------------------------------------------

    @Property(tries = 1000)
    void aRawRecordIsItsKeyAndValueOrADeadLetter(@ForAll("keys") byte[] key, @ForAll("rawValues") byte[] value,
                                                 @ForAll("limits") InputLimits limits) {
        KafkaInputRecord record = new KafkaInputRecord(key, value, "raw", 1, 2, 3);
        int size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        Outcome<StreamChunk> outcome = HostileBytes.decode(size,
                () -> new ChunkDecoder(InputFormat.RAW, "the-default", limits).decodeRaw(record));
        String refusal = value == null ? "null value (tombstone)"
                : value.length > limits.maxRecordBytes() ? "record of " + value.length + " bytes is larger"
                : key != null && key.length > limits.maxKeyBytes() ? "stream id of " + key.length + " bytes"
                : value.length == 0 ? ChunkDecoder.EMPTY
                : key != null && !Arrays.equals(utf8(new String(key, StandardCharsets.UTF_8)), key)
                        ? "record key (stream id) is not valid UTF-8"
                : null;
        StreamChunk decoded = decodedUnlessRefused(outcome, refusal);
        if (decoded == null) {
            return;
        }
        assertEquals(key == null ? "the-default" : new String(key, StandardCharsets.UTF_8), decoded.streamId());
        assertEquals(-1, decoded.sequence());
        assertArrayEquals(value, decoded.payload());
        assertEquals(3, decoded.timestampMs());
    }

    @Provide
    Arbitrary<byte[]> keys() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMaxSize(80), // mostly not UTF-8
                HostileBytes.unicode(1100).map(ChunkDecoderPropertiesTest::utf8),
                HostileBytes.randomArrays(70_000))
                .injectNull(0.1);
    }

    @Provide
    Arbitrary<byte[]> rawValues() {
        return HostileBytes.randomArrays(5000).injectNull(0.05);
    }

    // ---------------------------------------------------------------------------------------------

    /** The decoded chunk; or null, once checked that it was refused with {@code refusal} in the reason. */
    private static StreamChunk decodedUnlessRefused(Outcome<StreamChunk> outcome, String refusal) {
        if (refusal != null) {
            assertTrue(outcome.thrown() instanceof ChunkDecoder.BadRecordException
                    && outcome.thrown().getMessage().contains(refusal), "expected '" + refusal + "': " + outcome);
            return null;
        }
        assertNull(outcome.thrown(), "a valid record was refused");
        return outcome.value();
    }

    /** Decodes {@code value}: a sane chunk, or a dead letter with a reason; and a bounded allocation. */
    private static Outcome<StreamChunk> chunkOrDeadLetter(ChunkDecoder decoder, byte[] value) {
        KafkaInputRecord record = new KafkaInputRecord(null, value, "in", 0, 0, 0);
        Outcome<StreamChunk> outcome = HostileBytes.decode(value.length, () -> decoder.decodeAvro(record));
        if (outcome.thrown() != null && !(outcome.thrown() instanceof ChunkDecoder.BadRecordException)) {
            fail("decoding " + value.length + " bytes threw " + outcome.thrown(), outcome.thrown());
        }
        if (outcome.thrown() != null) {
            assertFalse(outcome.thrown().getMessage() == null || outcome.thrown().getMessage().isBlank(), "no reason");
        } else {
            StreamChunk c = outcome.value();
            assertFalse(c.streamId().isEmpty(), "empty stream id");
            assertTrue(c.sequence() >= 0, "negative sequence");
            assertTrue(c.payload().length > 0 && c.payload().length < value.length, "payload of " + c.payload().length);
        }
        long allowed = HostileBytes.allocationAllowance(value.length);
        assertTrue(outcome.allocatedBytes() <= allowed, "decoding a record of " + value.length + " bytes allocated "
                + outcome.allocatedBytes() + " bytes (allowed " + allowed + "): " + outcome);
        return outcome;
    }

    /** One ByteChunk; the session and event time are dropped by the version-1 encoding. */
    record Chunk(String streamId, long sequence, byte[] payload, Long eventTimeMs, String session) {

        Chunk withSession() {
            return session != null ? this : new Chunk(streamId, sequence, payload, eventTimeMs, "session-" + sequence);
        }

        Chunk withEventTime() {
            return eventTimeMs != null ? this : new Chunk(streamId, sequence, payload, sequence, session);
        }

        /** The encoding cut at its fields (see the part indexes); concatenated, Avro's own bytes. */
        List<byte[]> parts(boolean v1) {
            byte[] id = utf8(streamId);
            List<byte[]> parts = new ArrayList<>(List.of(Arrays.copyOf(encode(this, v1), HEADER_BYTES),
                    avroLong(id.length), id, avroLong(sequence), avroLong(payload.length), payload,
                    avroLong(eventTimeMs == null ? 0 : 1), eventTimeMs == null ? new byte[0] : avroLong(eventTimeMs)));
            if (!v1) {
                byte[] s = session == null ? new byte[0] : utf8(session);
                parts.addAll(List.of(avroLong(session == null ? 0 : 1), session == null ? s : avroLong(s.length), s));
            }
            return parts;
        }

        @Override
        public String toString() {
            return "Chunk[id of " + streamId.length() + " chars, sequence " + sequence + ", " + payload.length
                    + " bytes, time " + eventTimeMs + ", session " + session + "]";
        }
    }

    private static final int HEADER_BYTES = 10;
    /** Indexes into {@link Chunk#parts}: the lengths of stream id, payload and session (version 2 only). */
    private static final int[] LENGTH_PARTS = {1, 4, 9};
    private static final int TIME_BRANCH = 6;
    private static final int SESSION_BRANCH = 8;
    private static final int SESSION_LENGTH = LENGTH_PARTS[2];

    private static final Chunk SAMPLE = new Chunk("s", 0, new byte[] {1}, null, null);

    @Provide
    Arbitrary<Chunk> chunks() {
        return Combinators.combine(HostileBytes.unicode(1100), Arbitraries.longs(), HostileBytes.randomArrays(3000),
                Arbitraries.longs().injectNull(0.5), HostileBytes.unicode(40).injectNull(0.5)).as(Chunk::new);
    }

    private static byte[] encode(Chunk chunk, boolean v1) {
        ByteBuffer payload = ByteBuffer.wrap(chunk.payload());
        if (!v1) {
            return AvroBytes.encode(ByteChunk.newBuilder().setStreamId(chunk.streamId()).setSequence(chunk.sequence())
                    .setPayload(payload).setEventTimeMs(chunk.eventTimeMs()).setProducerSession(chunk.session())
                    .build());
        }
        GenericRecord record = new GenericData.Record(ChunkDecoder.BYTE_CHUNK_V1);
        record.put("stream_id", chunk.streamId());
        record.put("sequence", chunk.sequence());
        record.put("payload", payload);
        record.put("event_time_ms", chunk.eventTimeMs());
        try {
            ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), ChunkDecoder.BYTE_CHUNK_V1)
                    .encode(record);
            return Arrays.copyOfRange(encoded.array(), encoded.arrayOffset() + encoded.position(),
                    encoded.arrayOffset() + encoded.limit());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

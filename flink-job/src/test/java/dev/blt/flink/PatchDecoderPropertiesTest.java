package dev.blt.flink;

import static dev.blt.testing.HostileBytes.avroLong;
import static dev.blt.testing.HostileBytes.concat;
import static dev.blt.testing.HostileBytes.varint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.Patch;
import dev.blt.avro.PatchCloseReason;
import dev.blt.kafka.AvroBytes;
import dev.blt.flink.AvroRecords;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.patching.CloseReason;
import dev.blt.patching.ClosedPatch;
import dev.blt.testing.HostileBytes;
import dev.blt.testing.HostileBytes.Outcome;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.util.OutputTag;

/**
 * Hostile bytes on the patches topic (the BLT stage run as its own job): whatever a record holds,
 * {@link PatchDecoder} emits exactly one thing for it, a patch event or a dead letter with the
 * original bytes, throws nothing, and allocates in proportion to the record, never to the lengths
 * or item counts it claims. A valid Patch comes out as the event it was written from.
 */
class PatchDecoderPropertiesTest {

    @Property(tries = 500)
    void anyBytesAreAnEventOrADeadLetter(@ForAll("anyValues") byte[] value) {
        eventOrDeadLetter(value);
    }

    @Provide
    Arbitrary<byte[]> anyValues() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(80);
        Arbitrary<byte[]> afterHeader = random.map(body -> concat(List.of(HEADER, body)));
        return Arbitraries.oneOf(random, afterHeader).injectNull(0.02);
    }

    @Property(tries = 300)
    void everyTruncatedPatchIsADeadLetter(@ForAll("events") PatchEvent event,
                                          @ForAll @IntRange(min = 0, max = 1_000_000) int cut) {
        byte[] whole = encode(event);
        Output output = eventOrDeadLetter(Arrays.copyOf(whole, cut % whole.length));
        assertTrue(output.events().isEmpty(), "a patch cut to " + cut % whole.length + " of " + whole.length
                + " bytes decoded");
    }

    @Property(tries = 500)
    void aPatchWithOneByteChangedIsAnEventOrADeadLetter(@ForAll("events") PatchEvent event,
                                                        @ForAll @IntRange(min = 0, max = 1_000_000) int at,
                                                        @ForAll @IntRange(min = 1, max = 255) int xor) {
        byte[] value = encode(event);
        value[at % value.length] ^= (byte) xor;
        eventOrDeadLetter(value);
    }

    @Property(tries = 500)
    void aLengthOrCountThePatchCannotHoldIsADeadLetterBeforeAnyAllocation(
            @ForAll("events") PatchEvent event, @ForAll @IntRange(min = 0, max = 4) int field,
            @ForAll("impossibleLengths") long claim) {
        List<byte[]> parts = parts(event);
        parts.set(LENGTH_PARTS[field],
                avroLong(claim));
        byte[] forged = concat(parts);
        Assume.that(claim < -forged.length || claim > forged.length);
        Output output = eventOrDeadLetter(forged);
        assertTrue(output.events().isEmpty() && output.deadLetters().get(0).getReason().contains("claims"),
                "a claim of " + claim + ": " + output);
    }

    @Provide
    Arbitrary<Long> impossibleLengths() {
        return HostileBytes.impossibleLengths();
    }

    @Property(tries = 300)
    void oddCloseReasonsAndRecordBranchesAreAnEventOrADeadLetter(
            @ForAll("events") PatchEvent event, @ForAll boolean closeReason, @ForAll("oddIndexes") long index) {
        List<byte[]> parts = parts(event);
        parts.set(closeReason ? CLOSE_REASON : RECORD_BRANCH, varint(index));
        eventOrDeadLetter(concat(parts));
    }

    @Provide
    Arbitrary<Long> oddIndexes() {
        return HostileBytes.oddIndexes();
    }

    @Property(tries = 300)
    void aValidPatchIsTheEventItWasWrittenFrom(@ForAll("events") PatchEvent event) {
        assertArrayEquals(encode(event), concat(parts(event)), "the forgeries above edit these parts");
        Output output = eventOrDeadLetter(encode(event));
        assertEquals(1, output.events().size(), "refused: " + output);
        PatchEvent decoded = output.events().get(0);
        assertEquals(event.streamId(), decoded.streamId());
        assertEquals(event.recordIndex(), decoded.recordIndex());
        assertEquals(event.patchIndex(), decoded.patchIndex());
        assertEquals(event.patch().startOffset(), decoded.patch().startOffset());
        assertArrayEquals(event.bytes(), decoded.bytes());
        assertArrayEquals(event.patch().entropies(), decoded.patch().entropies());
        assertArrayEquals(event.patch().logprobs(), decoded.patch().logprobs());
        assertEquals(event.patch().reason(), decoded.patch().reason());
        assertEquals(event.lastInRecord(), decoded.lastInRecord());
        assertEquals(event.modelId(), decoded.modelId());
    }

    /** Patches topics written before MODEL_SWITCH joined the close reasons (Patch v1) still read. */
    @Property(tries = 100)
    void aPatchOfTheFirstSchemaVersionIsTheEventItWasWrittenFrom(@ForAll("events") PatchEvent event) {
        Assume.that(event.patch().reason() != dev.blt.patching.CloseReason.MODEL_SWITCH); // not a v1 symbol
        byte[] value = encode(event); // v1 and v2 lay a Patch out alike: only the header's fingerprint differs
        ByteBuffer.wrap(value, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(org.apache.avro.SchemaNormalization.parsingFingerprint64(PatchDecoder.PATCH_V1));
        Output output = eventOrDeadLetter(value);
        assertEquals(1, output.events().size(), "refused: " + output);
        assertEquals(event.patch().reason(), output.events().get(0).patch().reason());
        assertArrayEquals(event.bytes(), output.events().get(0).bytes());
    }

    // ---------------------------------------------------------------------------------------------

    /** What {@link PatchDecoder} emitted for one record. */
    record Output(List<PatchEvent> events, List<DeadLetter> deadLetters) {
    }

    /** Decodes {@code value}: exactly one event or dead letter, nothing thrown, a bounded allocation. */
    private static Output eventOrDeadLetter(byte[] value) {
        KafkaInputRecord record = new KafkaInputRecord(new byte[] {'k'}, value, "patches", 5, 6, 7);
        int length = value == null ? 0 : value.length;
        Outcome<Output> outcome = HostileBytes.decode(length, () -> process(record));
        if (outcome.thrown() != null) {
            fail("the decoder threw " + outcome.thrown(), outcome.thrown());
        }
        Output output = outcome.value();
        assertEquals(1, output.events().size() + output.deadLetters().size(), "one output per record: " + output);
        if (!output.deadLetters().isEmpty()) {
            DeadLetter dead = output.deadLetters().get(0);
            assertTrue(dead.getReason().startsWith("not an Avro Patch in single-object encoding: "), dead.getReason());
            assertEquals(value == null ? null : ByteBuffer.wrap(value), dead.getOriginalValue());
            assertEquals("patches", dead.getTopic());
            assertEquals(6, dead.getOffset());
        }
        long allowed = HostileBytes.allocationAllowance(length);
        assertTrue(outcome.allocatedBytes() <= allowed, "decoding a record of " + length + " bytes allocated "
                + outcome.allocatedBytes() + " bytes (allowed " + allowed + "): " + output);
        return output;
    }

    private static Output process(KafkaInputRecord record) throws Exception {
        PatchDecoder decoder = new PatchDecoder();
        List<PatchEvent> events = new ArrayList<>();
        List<DeadLetter> deadLetters = new ArrayList<>();
        decoder.processElement(record, decoder.new Context() {
            @Override
            public Long timestamp() {
                return record.timestampMs();
            }

            @Override
            public TimerService timerService() {
                throw new UnsupportedOperationException("the decoder sets no timers");
            }

            @Override
            public <X> void output(OutputTag<X> tag, X value) {
                assertEquals(PatchDecoder.DEAD_LETTERS, tag);
                deadLetters.add((DeadLetter) value);
            }
        }, new ListCollector<>(events));
        return new Output(events, deadLetters);
    }

    @Provide
    Arbitrary<PatchEvent> events() {
        Arbitrary<long[]> indexes = Arbitraries.longs().array(long[].class).ofSize(3)
                .map(l -> new long[] {l[0] < 0 ? -1 : l[0], l[1], l[2]}); // record index: -1 (stream) or >= 0
        return Combinators.combine(HostileBytes.unicode(200), indexes, HostileBytes.randomArrays(300),
                Arbitraries.of(PatchCloseReason.class), Arbitraries.of(false, true), HostileBytes.unicode(40),
                Arbitraries.longs()).as((id, index, bytes, reason, last, modelId, floatSeed) -> {
                    Random floats = new Random(floatSeed);
                    float[] entropies = anyFloats(floats, bytes.length);
                    float[] logprobs = anyFloats(floats, floats.nextBoolean() ? 0 : bytes.length);
                    ClosedPatch patch = new ClosedPatch(index[1], index[2], bytes, entropies, logprobs,
                            CloseReason.valueOf(reason.name()));
                    return new PatchEvent(id, index[0], patch, last, modelId);
                });
    }

    /** Any bit pattern, NaNs and infinities included. */
    private static float[] anyFloats(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = Float.intBitsToFloat(random.nextInt());
        }
        return values;
    }

    private static byte[] encode(PatchEvent event) {
        return AvroBytes.encode(AvroRecords.patch(event));
    }

    /** Single-object encoding: the marker C3 01 and Patch's schema fingerprint. */
    private static final byte[] HEADER = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).put((byte) 0xC3)
            .put((byte) 0x01).putLong(SchemaNormalization.parsingFingerprint64(Patch.getClassSchema())).array();

    /** Indexes into {@link #parts}: the lengths of stream id, bytes and model id, the counts of the two float arrays. */
    private static final int[] LENGTH_PARTS = {1, 5, 7, 14, 17};
    private static final int CLOSE_REASON = 10;
    private static final int RECORD_BRANCH = 11;

    /** The encoding of {@code e} cut at its fields (see the part indexes above); concatenated, Avro's bytes. */
    private static List<byte[]> parts(PatchEvent e) {
        byte[] id = e.streamId().getBytes(StandardCharsets.UTF_8);
        byte[] model = e.modelId().getBytes(StandardCharsets.UTF_8);
        List<byte[]> parts = new ArrayList<>(List.of(HEADER, avroLong(id.length), id, avroLong(e.patchIndex()),
                avroLong(e.patch().startOffset()), avroLong(e.bytes().length), e.bytes()));
        parts.addAll(floatArray(e.patch().entropies()));
        parts.addAll(List.of(avroLong(PatchCloseReason.valueOf(e.patch().reason().name()).ordinal()),
                avroLong(e.recordIndex() < 0 ? 0 : 1), e.recordIndex() < 0 ? new byte[0] : avroLong(e.recordIndex()),
                new byte[] {(byte) (e.lastInRecord() ? 1 : 0)}));
        parts.addAll(floatArray(e.patch().logprobs()));
        parts.addAll(List.of(avroLong(model.length), model));
        return parts;
    }

    /** An Avro array of floats: one block (count, items) and the closing 0, or just 0 when empty. */
    private static List<byte[]> floatArray(float[] values) {
        ByteBuffer items = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            items.putInt(Float.floatToRawIntBits(v));
        }
        return values.length == 0 ? List.of(avroLong(0), new byte[0], new byte[0])
                : List.of(avroLong(values.length), items.array(), avroLong(0));
    }
}

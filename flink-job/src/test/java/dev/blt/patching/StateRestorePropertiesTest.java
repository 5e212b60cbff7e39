package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blt.bltstage.BatchedBltStages;
import dev.blt.bltstage.BltStage;
import dev.blt.model.LoadedModel;
import dev.blt.testing.HostileBytes;
import dev.blt.testing.HostileBytes.Outcome;
import dev.blt.testing.ModelFolders;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * State bytes from a checkpoint, for {@link StreamPatcher#restore} and {@link BltStage#restore}
 * with the shipped model's settings: a real state restores to itself; a truncated, forged or
 * random one is refused with an {@link IllegalStateException} or {@link UncheckedIOException},
 * never another exception or an Error, and a length it claims is checked before it is allocated.
 */
class StateRestorePropertiesTest {

    private static LoadedModel model;

    @BeforeContainer
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
    }

    @AfterContainer
    static void release() {
        model.release();
    }

    @Property(tries = 40)
    void aStateRestoresToItself(@ForAll("states") State state) {
        Outcome<byte[]> outcome = restoredOrRefused(state.kind(), state.bytes());
        assertNull(outcome.thrown(), "a real state was refused");
        assertArrayEquals(state.bytes(), outcome.value());
    }

    @Property(tries = 40)
    void everyTruncatedStateIsRefused(@ForAll("states") State state,
                                      @ForAll @IntRange(min = 0, max = 1_000_000) int cut) {
        byte[] truncated = Arrays.copyOf(state.bytes(), cut % state.bytes().length);
        assertTrue(restoredOrRefused(state.kind(), truncated).thrown() != null,
                "a state cut to " + truncated.length + " of " + state.bytes().length + " bytes was restored");
    }

    @Property(tries = 60)
    void aLengthTheStateCannotHoldIsRefusedBeforeItIsAllocated(
            @ForAll("states") State state, @ForAll @IntRange(min = 0, max = 1_000_000) int field,
            @ForAll("impossibleLengths") int claim) {
        Assume.that(state.lengthFields().length > 0 && (claim < 0 || claim > state.bytes().length));
        byte[] forged = state.bytes().clone();
        ByteBuffer.wrap(forged).putInt(state.lengthFields()[field % state.lengthFields().length], claim);
        Outcome<byte[]> outcome = restoredOrRefused(state.kind(), forged);
        assertTrue(outcome.thrown() instanceof IllegalStateException, "a claim of " + claim + ": " + outcome);
    }

    @Provide
    Arbitrary<Integer> impossibleLengths() {
        return Arbitraries.oneOf(Arbitraries.integers().between(Integer.MIN_VALUE, -1),
                Arbitraries.integers().between(1 << 16, Integer.MAX_VALUE),
                Arbitraries.of(-1, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE - 8, 1 << 30));
    }

    @Property(tries = 500)
    void anyBytesAreRestoredOrRefused(@ForAll Kind kind, @ForAll boolean versionFirst,
                                      @ForAll("anyBytes") byte[] bytes) {
        byte[] state = versionFirst ? HostileBytes.concat(List.of(new byte[] {0, 0, 0, 1}, bytes)) : bytes;
        restoredOrRefused(kind, state);
    }

    @Provide
    Arbitrary<byte[]> anyBytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    }

    // ---------------------------------------------------------------------------------------------

    enum Kind {
        PATCHER(bytes -> StreamPatcher.restore(model.patcherSettings(), bytes).snapshot()),
        ENCODER(bytes -> BltStage.restore(model.encoderSettings(), bytes).snapshot());

        final Function<byte[], byte[]> restoreAndSnapshot;

        Kind(Function<byte[], byte[]> restoreAndSnapshot) {
            this.restoreAndSnapshot = restoreAndSnapshot;
        }
    }

    /** A real state, and where in it the lengths of what follows are written (4-byte ints). */
    record State(Kind kind, byte[] bytes, int[] lengthFields) {
        @Override
        public String toString() {
            return kind + " state of " + bytes.length + " bytes, lengths at " + Arrays.toString(lengthFields);
        }
    }

    /**
     * Restores {@code bytes} and snapshots the result: either works, or fails with one of the
     * two exceptions of a corrupt state; the allocation stays in proportion to the bytes.
     */
    private static Outcome<byte[]> restoredOrRefused(Kind kind, byte[] bytes) {
        Outcome<byte[]> outcome = HostileBytes.decode(bytes.length, () -> kind.restoreAndSnapshot.apply(bytes));
        Throwable thrown = outcome.thrown();
        if (thrown != null && !(thrown instanceof IllegalStateException || thrown instanceof UncheckedIOException)) {
            fail("restoring " + bytes.length + " bytes threw " + thrown, thrown);
        }
        long allowed = HostileBytes.allocationAllowance(bytes.length);
        assertTrue(outcome.allocatedBytes() <= allowed, "restoring " + bytes.length + " bytes allocated "
                + outcome.allocatedBytes() + " bytes (allowed " + allowed + "): " + outcome);
        return outcome;
    }

    @Provide
    Arbitrary<State> states() {
        // Noise makes short patches, a repeated pattern long ones up to max_patch_length. Streams
        // of up to 400 bytes, uniformly: most outgrow the context and block the state keeps.
        Arbitrary<Integer> sizes = Arbitraries.integers().between(0, 400)
                .withDistribution(RandomDistribution.uniform());
        Arbitrary<byte[]> noise = HostileBytes.randomArrays(sizes);
        Arbitrary<byte[]> patterns = Combinators.combine(Arbitraries.bytes().array(byte[].class).ofMinSize(1)
                .ofMaxSize(6), sizes).as((p, n) -> {
                    byte[] out = new byte[n];
                    for (int i = 0; i < n; i++) {
                        out[i] = p[i % p.length];
                    }
                    return out;
                });
        Arbitrary<State> patcher = Combinators.combine(Arbitraries.oneOf(noise, patterns), Arbitraries.longs(),
                Arbitraries.of(false, true)).as(StateRestorePropertiesTest::patcherState);
        Arbitrary<State> encoder = Combinators.combine(Arbitraries.integers().between(0, 60), Arbitraries.longs(),
                Arbitraries.of(false, true)).as(StateRestorePropertiesTest::encoderState);
        return Arbitraries.oneOf(patcher, encoder);
    }

    /** A patcher fed {@code stream} in random chunks, scored and drained after each unless the last is left. */
    private static State patcherState(byte[] stream, long seed, boolean leaveLastUnscored) {
        StreamPatcher patcher = new StreamPatcher(model.patcherSettings());
        Random random = new Random(seed);
        for (int at = 0; at < stream.length; ) {
            int n = Math.min(stream.length - at, 1 + random.nextInt(100));
            patcher.append(stream, at, n);
            at += n;
            if (at < stream.length || !leaveLastUnscored) {
                BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
                patcher.drain();
            }
        }
        byte[] bytes = patcher.snapshot();
        // version, five longs, then the buffered length and the buffer; the first scored byte; two
        // floats per scored byte and two more; the open patch's start, then the open patch's length
        int buffered = ByteBuffer.wrap(bytes).getInt(44);
        int scoresFrom = ByteBuffer.wrap(bytes).getInt(48 + buffered);
        return new State(Kind.PATCHER, bytes, new int[] {44, 48 + buffered,
            48 + buffered + 4 + 8 * (buffered - scoresFrom + 1) + 8});
    }

    /**
     * An encoder given {@code patches} random patches in random groups, the BLT model run after
     * each group, unless the last is left.
     */
    private static State encoderState(int patches, long seed, boolean leaveLastUnrun) {
        BltStage encoder = new BltStage(model.encoderSettings());
        Random random = new Random(seed);
        for (int added = 0; added < patches; ) {
            int group = Math.min(patches - added, 1 + random.nextInt(12));
            for (int i = 0; i < group; i++) {
                byte[] patch = new byte[1 + random.nextInt(8)];
                random.nextBytes(patch);
                encoder.add(patch);
            }
            added += group;
            if (added < patches || !leaveLastUnrun) {
                BatchedBltStages.runAll(List.of(encoder), model.bltScorer());
            }
        }
        byte[] bytes = encoder.snapshot();
        // version, three longs, the patch count; then each patch: its length and its bytes; then the
        // next output index and the separator count
        List<Integer> fields = new ArrayList<>(List.of(28));
        int at = 32;
        for (int p = 0; p < ByteBuffer.wrap(bytes).getInt(28); p++) {
            fields.add(at);
            at += 4 + ByteBuffer.wrap(bytes).getInt(at);
        }
        fields.add(at + 8);
        return new State(Kind.ENCODER, bytes, fields.stream().mapToInt(Integer::intValue).toArray());
    }
}

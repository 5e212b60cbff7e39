package dev.blt.flink;

import dev.blt.patching.CloseReason;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.DeadLetter;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import dev.blt.testing.TestScorerModel;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;

/**
 * The keyed entropy patcher in Flink's operator harness on a scorer written for the test (the
 * entropy of a byte is a function of the byte before it, see ByteRuleScorer: a byte after a space
 * starts a patch), so each test states its patches by hand: when a bundle runs (delay, size,
 * checkpoint barrier), the idle flush, the monotonic rule, sequence checks, and the state size.
 */
class EntropyPatcherOperatorWithATestScorerTest {

    private static final long DELAY = 100;
    private static final double OFF = Double.NaN;
    private static final TestScorerModel MODEL = new TestScorerModel(2.0, OFF, 64, 16, 8);

    private long offset;

    private static KeyedHarness<StreamChunk, PatchEvent> opened(TestScorerModel model, Segmentation segmentation,
                                                               BundleSettings bundle) throws Exception {
        KeyedHarness<StreamChunk, PatchEvent> h = KeyedHarness.of(new EntropyPatcherOperator(model, segmentation,
                RecordContext.CARRY, bundle, 0, EntropyPatcherOperator.DEFAULT_WINDOW_CACHE_BYTES), c -> c.streamId());
        h.open();
        return h;
    }

    private StreamChunk chunk(String key, String text) {
        return chunk(key, -1, null, text);
    }

    private StreamChunk chunk(String key, long sequence, String session, String text) {
        return new StreamChunk(key, sequence, session, text.getBytes(UTF_8), "in", 0, offset++, 0L);
    }

    private static List<String> texts(List<PatchEvent> patches) {
        return patches.stream().map(p -> new String(p.bytes(), UTF_8)).toList();
    }

    @Test
    void aBundleRunsAfterItsDelayAtItsSizeAndBeforeEveryBarrier() throws Exception {
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(MODEL, Segmentation.STREAM, new BundleSettings(32, DELAY, 0))) {
            h.processElement(chunk("s", "ab cd "), 0);
            h.advance(DELAY - 1);
            assertEquals(List.of(), texts(h.extractOutputValues()), "the bundle waits for its delay");
            h.advance(1);
            // "cd " closes at once: the byte after a space has a known high entropy before it arrives.
            assertEquals(List.of("ab ", "cd "), texts(h.extractOutputValues()));
            assertEquals(TestScorerModel.MODEL_ID, h.extractOutputValues().get(0).modelId());

            h.processElement(chunk("s", "e".repeat(31) + " "), 0); // 32 bytes: the bundle is full
            assertEquals(3, h.extractOutputValues().size(), "a full bundle runs without waiting");

            h.processElement(chunk("s", "fg "), 0);
            h.prepareSnapshotPreBarrier(1);
            assertEquals(List.of("ab ", "cd ", "e".repeat(31) + " ", "fg "), texts(h.extractOutputValues()),
                    "pending bytes are patched before the barrier, so a checkpoint holds no bundle");
        }
    }

    @Test
    void theIdleFlushClosesTheOpenPatchAndTheStreamGoesOn() throws Exception {
        long idle = 1000;
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(MODEL, Segmentation.STREAM, new BundleSettings(1 << 20, DELAY, idle))) {
            h.processElement(chunk("s", "ab cd"), 0);
            h.advance(DELAY);
            assertEquals(List.of("ab "), texts(h.extractOutputValues()), "'cd' is open: more bytes may follow");
            h.setProcessingTime(DELAY + idle - 1);
            assertEquals(1, h.extractOutputValues().size());
            h.setProcessingTime(DELAY + idle);
            List<PatchEvent> out = h.extractOutputValues();
            assertEquals(List.of("ab ", "cd"), texts(out));
            assertEquals(CloseReason.IDLE_FLUSH, out.get(1).patch().reason());
            h.processElement(chunk("s", "ef"), 0);
            h.advance(DELAY); // the bundle, which arms the idle timer
            h.advance(idle);
            out = h.extractOutputValues();
            assertEquals(List.of("ab ", "cd", "ef"), texts(out));
            assertEquals(2, out.get(2).patchIndex(), "indices go on after a flush");
            assertEquals(5, out.get(2).patch().startOffset(), "offsets go on after a flush");
        }
    }

    @Test
    void theMonotonicRuleCutsWhereTheEntropyRisesBy() throws Exception {
        TestScorerModel monotonic = new TestScorerModel(2.0, 0.3, 64, 16, 8);
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(monotonic, Segmentation.RECORD, new BundleSettings(1 << 20, DELAY, 0))) {
            // H after 'a' 0.1, after 'e' 0.5: 'b' follows a rise of 0.4; the separator after it a fall.
            h.processElement(chunk("s", "aaeb"), 0);
            h.advance(DELAY);
            List<PatchEvent> out = h.extractOutputValues();
            assertEquals(List.of("aae", "b"), texts(out));
            assertEquals(List.of(CloseReason.MONOTONIC, CloseReason.END_OF_RECORD), out.stream().map(p -> p.patch().reason()).toList());
            assertEquals(0, out.get(1).recordIndex());
            assertTrue(out.get(1).lastInRecord());
        }
    }

    @Test
    void aReplayedSequenceIsADeadLetterAndANewSessionStartsAgain() throws Exception {
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(MODEL, Segmentation.RECORD, new BundleSettings(1 << 20, DELAY, 0))) {
            h.processElement(chunk("s", 0, "a", "ab "), 0);
            h.processElement(chunk("s", 1, "a", "cd"), 0);
            h.processElement(chunk("s", 1, "a", "cd"), 0);       // replayed
            h.processElement(chunk("s", 0, "b", "ef"), 0);       // the producer restarted: a new session
            h.advance(DELAY);
            h.processElement(chunk("s", 0, "b", "ef"), 0);       // replayed in a later bundle
            h.advance(DELAY);
            assertEquals(List.of("ab ", "cd", "ef"), texts(h.extractOutputValues()));
            assertEquals(List.of(0L, 1L, 2L), h.extractOutputValues().stream().map(p -> p.recordIndex()).toList());
            List<DeadLetter> dead = h.side(EntropyPatcherOperator.DEAD_LETTERS);
            assertEquals(2, dead.size(), dead.toString());
            assertTrue(dead.stream().allMatch(d -> d.getReason().contains("is not after the last accepted sequence")),
                    dead.toString());
            assertEquals(2, h.counter("deadLetters"));
        }
    }

    @Test
    void aStreamsStateStaysWithinItsWindowHoweverLongTheStream() throws Exception {
        long small = keyedStateBytes(200);
        long large = keyedStateBytes(50_000);
        assertTrue(small > 24, "the snapshot holds the state: " + small + " B");
        // C + B = 24 bytes of context and an open patch of at most 64: the same bound at 200 bytes and at 50 KB.
        assertTrue(large <= small + 100, "keyed state grew with the stream: " + small + " B after 200 bytes, "
                + large + " B after 50,000");
    }

    private long keyedStateBytes(int bytes) throws Exception {
        StringBuilder text = new StringBuilder();
        while (text.length() < bytes) {
            text.append("abcdefghijklm ");
        }
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(MODEL, Segmentation.STREAM, new BundleSettings(4096, DELAY, 0))) {
            h.processElement(chunk("s", text.substring(0, bytes)), 0);
            h.prepareSnapshotPreBarrier(1);
            OperatorSubtaskState state = h.snapshot(1, h.getProcessingTime());
            return state.getManagedKeyedState().getStateSize();
        }
    }
}

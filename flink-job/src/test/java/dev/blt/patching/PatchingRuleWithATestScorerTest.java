package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.testing.ByteRuleScorer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The patching rule and the streaming patcher with {@link ByteRuleScorer}, whose entropies a test
 * can work out by hand: every close reason, which rule wins, exactness under any chunking and
 * record context, and the bound on the patcher's state. No model is loaded.
 */
class PatchingRuleWithATestScorerTest {

    private static final double OFF = Double.NaN;

    private static List<ClosedPatch> patch(PatchingRule rule, int c, int b, String text) {
        return new OfflinePatcher(ByteRuleScorer.settings(rule, c, b), new ByteRuleScorer())
                .patchStream(List.of(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> texts(List<ClosedPatch> patches) {
        return patches.stream().map(p -> new String(p.bytes(), StandardCharsets.UTF_8)).toList();
    }

    private static List<CloseReason> reasons(List<ClosedPatch> patches) {
        return patches.stream().map(ClosedPatch::reason).toList();
    }

    @Test
    void aByteAboveThetaStartsAPatch() {
        List<ClosedPatch> patches = patch(new PatchingRule(2.0, OFF, 100), 8, 4, "ab cd ef");
        assertEquals(List.of("ab ", "cd ", "ef"), texts(patches));
        assertEquals(List.of(CloseReason.ENTROPY, CloseReason.ENTROPY, CloseReason.END_OF_STREAM), reasons(patches));
        assertEquals(List.of(0L, 3L, 6L), patches.stream().map(ClosedPatch::startOffset).toList());
        // Each byte's entropy is the one after the byte before it: BOS, then 'a' (0x61), then 'b' (0x62).
        assertEquals(ByteRuleScorer.HIGH, patches.get(0).entropies()[0]);
        assertEquals(0.1f, patches.get(0).entropies()[1]);
        assertEquals(0.2f, patches.get(0).entropies()[2]);
        assertEquals(-0.2f, patches.get(0).logprobs()[2]);
    }

    @Test
    void aRiseAboveThetaMonotonicStartsAPatchOnlyWhenTheRuleIsOn() {
        // H after 'a' = 0.1, after 'e' = 0.5: 'x' follows a rise of 0.4, the other bytes rises of at most 0.1.
        String text = "aaex";
        assertEquals(List.of("aae", "x"), texts(patch(new PatchingRule(2.0, 0.3, 100), 8, 4, text)));
        assertEquals(CloseReason.MONOTONIC, patch(new PatchingRule(2.0, 0.3, 100), 8, 4, text).get(0).reason());
        assertEquals(List.of("aaex"), texts(patch(new PatchingRule(2.0, OFF, 100), 8, 4, text)));
        assertEquals(List.of("aaex"), texts(patch(new PatchingRule(2.0, 0.5, 100), 8, 4, text)), "a rise of 0.4 <= 0.5");
    }

    @Test
    void theLengthCutComesLastAndEntropyWinsWhenBothApply() {
        List<ClosedPatch> patches = patch(new PatchingRule(2.0, OFF, 3), 8, 4, "aaaaaaa");
        assertEquals(List.of("aaa", "aaa", "a"), texts(patches));
        assertEquals(List.of(CloseReason.MAX_LENGTH, CloseReason.MAX_LENGTH, CloseReason.END_OF_STREAM),
                reasons(patches));
        // The 4th byte is both after a space and past the length: ENTROPY, as in the Python reference.
        assertEquals(CloseReason.ENTROPY, patch(new PatchingRule(2.0, OFF, 3), 8, 4, "aa aaa").get(0).reason());
    }

    @Test
    void anyChunkingAndRoundsGiveTheOnePiecePatchesWithStateBoundedByTheWindow() {
        Random random = new Random(11);
        byte[] stream = new byte[5_000];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = (byte) (random.nextInt(8) == 0 ? ' ' : 'a' + random.nextInt(26));
        }
        PatchingRule rule = new PatchingRule(2.0, 0.6, 12);
        int c = 16;
        int b = 8;
        PatcherSettings settings = ByteRuleScorer.settings(rule, c, b);
        List<ClosedPatch> whole = new OfflinePatcher(settings, new ByteRuleScorer()).patchStream(List.of(stream));
        for (int trial = 0; trial < 20; trial++) {
            StreamPatcher patcher = new StreamPatcher(settings);
            ByteRuleScorer scorer = new ByteRuleScorer();
            List<ClosedPatch> out = new ArrayList<>();
            int offset = 0;
            while (offset < stream.length) {
                int n = Math.min(stream.length - offset, 1 + random.nextInt(trial % 2 == 0 ? 3 : 40));
                patcher.append(stream, offset, n);
                offset += n;
                if (random.nextBoolean()) { // sometimes bytes wait for a later round, as in a bundle
                    BatchScoring.scoreAll(List.of(patcher), scorer);
                    out.addAll(patcher.drain());
                    assertTrue(patcher.bufferedBytes() <= c + b + 1, "state held " + patcher.bufferedBytes() + " bytes");
                }
                if (random.nextInt(10) == 0) {
                    patcher = StreamPatcher.restore(settings, patcher.snapshot());
                }
            }
            BatchScoring.scoreAll(List.of(patcher), scorer);
            out.addAll(patcher.drain());
            out.addAll(patcher.finish(CloseReason.END_OF_STREAM));
            assertEquals(texts(whole), texts(out), "trial " + trial);
            assertEquals(reasons(whole), reasons(out), "trial " + trial);
        }
    }

    @Test
    void recordsInContextCloseAtTheirEndAndSeeTheLinesBefore() {
        PatcherSettings settings = ByteRuleScorer.settings(new PatchingRule(2.0, OFF, 100), 8, 4);
        List<List<ClosedPatch>> records = new OfflinePatcher(settings, new ByteRuleScorer()).patchRecordsInContext(
                List.of("ab cd".getBytes(StandardCharsets.UTF_8), "ef".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of("ab ", "cd"), texts(records.get(0)));
        assertEquals(CloseReason.END_OF_RECORD, records.get(0).get(1).reason());
        // 'e' follows the record separator '\n' in the context, so its entropy is HIGH, not BOS's by chance.
        assertEquals(ByteRuleScorer.HIGH, records.get(1).get(0).entropies()[0]);
        assertEquals(0L, records.get(1).get(0).startOffset());
        assertEquals(List.of("ef"), texts(records.get(1)));
    }
}

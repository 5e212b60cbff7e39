package dev.blt.bltstage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** BLT outputs do not depend on how patches arrived, how they were batched, or on restarts. */
class BltStageInvarianceIT {

    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
    }

    /** How a stage goes from one group of patches to the next. */
    enum Between { KEPT, RESTORED, RESTORED_WITH_CACHE }

    @ParameterizedTest
    @EnumSource(Between.class)
    void patchesArrivingInAnyGroupingGiveTheSameOutputs(Between between) {
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        BltStageSettings settings = model.encoderSettings();
        Random random = new Random(11);
        for (byte[] stream : SampleText.streams()) {
            List<byte[]> patches = new ArrayList<>();
            for (ClosedPatch p : patcher.patchStream(List.of(stream))) {
                patches.add(p.bytes());
            }
            List<PatchOutputs> whole = OfflineBltStage.encodeDocument(settings, model.bltScorer(), patches);

            // Patches in random groups, batched beside another stream, with the stage kept, or restored
            // from its snapshot (a rolling stage then rebuilds its cache, or takes it back as the operator does).
            List<PatchOutputs> grouped = new ArrayList<>();
            BltStage encoder = new BltStage(settings);
            BltStage other = new BltStage(settings);
            int maxHeld = 0;
            int maxHeldBytes = 0;
            for (int i = 0; i < patches.size(); ) {
                int n = 1 + random.nextInt(7);
                for (int j = i; j < Math.min(patches.size(), i + n); j++) {
                    encoder.add(patches.get(j));
                    other.add(patches.get(patches.size() - 1 - j));
                }
                i += n;
                grouped.addAll(BatchedBltStages.runAll(List.of(other, encoder), model.bltScorer()).get(1));
                if (between != Between.KEPT) {
                    BltStage restored = BltStage.restore(settings, encoder.snapshot());
                    if (between == Between.RESTORED_WITH_CACHE) {
                        restored.attach(encoder.cache());
                    }
                    encoder = restored;
                }
                maxHeld = Math.max(maxHeld, encoder.heldPatches());
                maxHeldBytes = Math.max(maxHeldBytes, encoder.heldBytes());
            }
            assertEquals(whole.size(), grouped.size());
            for (int p = 0; p < whole.size(); p++) {
                assertEquals(p, grouped.get(p).patchIndex());
                assertClose(whole.get(p).embedding(), grouped.get(p).embedding(), "embedding " + p);
                assertClose(whole.get(p).byteLogprobs(), grouped.get(p).byteLogprobs(), "logprobs " + p);
                assertClose(whole.get(p).nextByteLogprobs(), grouped.get(p).nextByteLogprobs(), "next byte " + p);
            }
            BltRollingShape rolling = settings.rolling();
            if (rolling == null) {
                int bound = settings.contextPatches() + settings.blockPatches();
                assertTrue(maxHeld <= bound, "encoder state must stay within context + block patches: " + maxHeld);
            } else { // the receptive field, plus the patches that straddle its ends
                int longest = model.manifest().patching().maxPatchLength();
                int bound = rolling.decoderReach() + rolling.encoderReach() + (rolling.latentReach() + 3) * longest;
                assertTrue(maxHeldBytes <= bound, "a rolling stage holds its receptive field: " + maxHeldBytes
                        + " bytes held, bound " + bound);
                assertTrue(stream.length <= bound || encoder.heldPatches() < patches.size(),
                        "a stream longer than the bound drops its early patches: " + maxHeld + " of " + patches.size());
            }
        }
    }

    @Test
    void topKIsSortedAndSkipsSpecialTokens() {
        float[] logprobs = new float[260];
        java.util.Arrays.fill(logprobs, -20f);
        logprobs[1] = -0.01f;            // BOS: never a byte
        logprobs['a' + 4] = -0.5f;
        logprobs['b' + 4] = -1.5f;
        List<Predictions.NextByte> top = Predictions.topK(logprobs, 4, 2);
        assertArrayEquals(new int[] {'a', 'b'}, top.stream().mapToInt(Predictions.NextByte::value).toArray());
        assertEquals(Math.exp(-0.5), top.get(0).probability(), 1e-6);
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
        }
    }
}

package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The incremental graph (each stream's open block continued from cached keys and values) gives the
 * bits of running every window whole, under any arrival pattern, lone bytes and restores (which
 * drop the cache) included: the patches never depend on the cache. For models that stream in
 * aligned blocks; {@link RollingScoringIT} checks the rolling cache of sliding-window models.
 */
class StepScoringIT {

    /** The model's scorer with the incremental graph switched off: every window runs whole. */
    static EntropyScorer wholeWindows(LoadedModel model) {
        EntropyScorer scorer = model.entropyScorer();
        return scorer::score;
    }

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#aligned")
    void steppedStreamsAreBitIdenticalToWholeWindows(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        assertNotNull(model.entropyScorer().stepper(), folder + " ships no incremental graph (entropy_step.onnx)");
        byte[] data = SampleText.stream(1536); // six blocks of the shipped model (B = 256), windows full (C = 512) from the third
        List<ClosedPatch> whole = new OfflinePatcher(model.patcherSettings(), wholeWindows(model)).patchStream(List.of(data));
        Random random = new Random(3);
        // A precision variant's two graphs are the same rewrite of its base folder's, whose run covers the
        // byte-at-a-time pieces: one trial shows the rewrite kept them bit-identical, at a fifth of the time.
        for (int trial = isPrecisionVariant(folder) ? 2 : 0; trial < 3; trial++) {
            int maxPiece = trial == 0 ? 1 : trial == 1 ? 5 : 300;
            StreamPatcher patcher = new StreamPatcher(model.patcherSettings());
            List<ClosedPatch> stepped = new ArrayList<>();
            boolean cached = false;
            for (byte[] piece : SampleText.chunk(data, maxPiece, random)) {
                patcher.append(piece);
                BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
                cached |= patcher.cacheBytes() > 0;
                stepped.addAll(patcher.drain());
                if (random.nextInt(20) == 0) {
                    patcher = StreamPatcher.restore(model.patcherSettings(), patcher.snapshot()); // no cache
                    assertEquals(0, patcher.cacheBytes());
                }
            }
            stepped.addAll(patcher.finish(CloseReason.END_OF_STREAM));
            assertTrue(cached, "the open block was continued from the cache");
            assertBitIdentical(whole, stepped, folder.getFileName() + ", pieces of 1.." + maxPiece + " bytes");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#aligned")
    void steppedRecordsInContextAreBitIdenticalToWholeWindows(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            records.add(SampleText.lines().get(i % SampleText.lines().size()));
        }
        records.add(new byte[] {'x'}); // a lone byte: the step recomputes the cached token before it
        records.add(new byte[] {'y'});
        List<List<ClosedPatch>> whole = new OfflinePatcher(model.patcherSettings(), wholeWindows(model))
                .patchRecordsInContext(records);
        List<List<ClosedPatch>> stepped = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchRecordsInContext(records);
        for (int r = 0; r < records.size(); r++) {
            assertBitIdentical(whole.get(r), stepped.get(r), folder.getFileName() + " record " + r);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#aligned")
    void aFullBlockDropsItsCache(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        StreamPatcher patcher = new StreamPatcher(model.patcherSettings());
        patcher.append(new byte[model.patcherSettings().blockBytes() / 2]);
        BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
        assertTrue(patcher.cacheBytes() > 0, "an open block keeps its window's keys and values");
        patcher.append(new byte[model.patcherSettings().blockBytes() / 2 + model.patcherSettings().blockBytes()]);
        BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
        assertTrue(patcher.cacheBytes() > 0);
        patcher.drain();
        StreamPatcher exact = new StreamPatcher(model.patcherSettings());
        exact.append(new byte[2 * model.patcherSettings().blockBytes()]); // ends on a block boundary
        BatchScoring.scoreAll(List.of(exact), wholeWindows(model));
        assertEquals(0, exact.cacheBytes());
        assertNull(wholeWindows(model).stepper());
    }

    /** A folder written by model-export/quantize.py (int8, fp16): its manifest has a "quantization" section. */
    private static boolean isPrecisionVariant(Path folder) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(folder.resolve(dev.blt.model.ModelBundle.MANIFEST_FILE).toFile()).has("quantization");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void assertBitIdentical(List<ClosedPatch> expected, List<ClosedPatch> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": number of patches");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).startOffset(), actual.get(i).startOffset(), what + ": start of patch " + i);
            assertArrayEquals(expected.get(i).entropies(), actual.get(i).entropies(), what + ": entropies of patch " + i);
            assertArrayEquals(expected.get(i).logprobs(), actual.get(i).logprobs(), what + ": logprobs of patch " + i);
        }
    }
}

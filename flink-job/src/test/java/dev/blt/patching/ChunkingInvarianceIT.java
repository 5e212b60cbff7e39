package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core invariant: patches do not depend on how a stream was cut into records, on how records
 * were batched, or on restarts from a state snapshot.
 */
class ChunkingInvarianceIT {

    private static LoadedModel model;
    private static OfflinePatcher offline;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
        offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
    }

    @Test
    void randomChunkingsEqualTheOnePieceRun() {
        assertChunkingInvariant(offline);
    }

    /**
     * The int8 folder quantizes activations with fixed scales, so a row's integers do not depend on its
     * batch; this holds it to the same exactness as fp32, through ONNX Runtime's integer kernels.
     */
    @Test
    void int8ModelIsChunkingInvariantToo() {
        LoadedModel int8 = ModelFolders.load(ModelFolders.shippedInt8());
        try {
            assertChunkingInvariant(new OfflinePatcher(int8.patcherSettings(), int8.entropyScorer()));
        } finally {
            int8.release();
        }
    }

    private static void assertChunkingInvariant(OfflinePatcher patcher) {
        Random random = new Random(42);
        for (byte[] stream : SampleText.streams()) {
            List<ClosedPatch> whole = patcher.patchStream(List.of(stream));
            for (int trial = 0; trial < 3; trial++) {
                int maxChunk = trial == 0 ? 1 : 1 + random.nextInt(trial == 1 ? 8 : 200);
                List<ClosedPatch> chunked = patcher.patchStream(SampleText.chunk(stream, maxChunk, random));
                assertSamePatches(whole, chunked, "max chunk " + maxChunk);
            }
        }
    }

    @Test
    void snapshotAndRestoreAnywhereEqualsTheOnePieceRun() {
        byte[] stream = SampleText.streams().get(0);
        List<ClosedPatch> whole = offline.patchStream(List.of(stream));
        Random random = new Random(7);
        PatcherSettings settings = model.patcherSettings();
        StreamPatcher patcher = new StreamPatcher(settings);
        List<ClosedPatch> out = new ArrayList<>();
        int maxBuffered = 0;
        for (byte[] chunk : SampleText.chunk(stream, 37, random)) {
            patcher.append(chunk);
            BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
            out.addAll(patcher.drain());
            patcher = StreamPatcher.restore(settings, patcher.snapshot()); // a restart after every chunk
            maxBuffered = Math.max(maxBuffered, patcher.bufferedBytes());
        }
        out.addAll(patcher.finish(CloseReason.END_OF_STREAM));
        assertSamePatches(whole, out, "restored after every chunk");
        assertTrue(maxBuffered <= settings.contextBytes() + settings.blockBytes(),
                "state must stay within C + B bytes, held " + maxBuffered);
    }

    @Test
    void recordBatchingDoesNotChangeRecordPatches() {
        List<byte[]> lines = SampleText.lines();
        List<List<ClosedPatch>> together = offline.patchRecords(lines);
        for (int i = 0; i < lines.size(); i++) {
            List<ClosedPatch> alone = offline.patchRecords(List.of(lines.get(i))).get(0);
            assertSamePatches(alone, together.get(i), "record " + i);
            // A record is one document: it patches exactly as a one-record stream does.
            List<ClosedPatch> asStream = offline.patchStream(List.of(lines.get(i)));
            assertArrayEquals(starts(asStream), starts(alone));
        }
    }

    @Test
    void patchesCloseTheMomentTheirLastByteArrives() {
        byte[] stream = SampleText.streams().get(0);
        StreamPatcher patcher = new StreamPatcher(model.patcherSettings());
        List<ClosedPatch> whole = offline.patchStream(List.of(stream));
        int next = 0;
        for (int i = 0; i < stream.length; i++) {
            patcher.append(stream, i, 1);
            BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
            for (ClosedPatch p : patcher.drain()) {
                assertEquals(i + 1, p.startOffset() + p.length(), "patch " + p.patchIndex() + " closed late");
                next++;
            }
        }
        // Only the last patch may wait for the end of the stream (the lookahead may close it too).
        assertTrue(next >= whole.size() - 1, "patches closed before end of stream: " + next + " of " + whole.size());
    }

    static long[] starts(List<ClosedPatch> patches) {
        return patches.stream().mapToLong(ClosedPatch::startOffset).toArray();
    }

    static void assertSamePatches(List<ClosedPatch> expected, List<ClosedPatch> actual, String what) {
        assertArrayEquals(starts(expected), starts(actual), what + ": boundaries");
        for (int i = 0; i < expected.size(); i++) {
            ClosedPatch e = expected.get(i);
            ClosedPatch a = actual.get(i);
            assertArrayEquals(e.bytes(), a.bytes(), what + ": bytes of patch " + i);
            assertEquals(e.reason(), a.reason(), what + ": close reason of patch " + i);
            for (int j = 0; j < e.length(); j++) {
                assertEquals(e.entropies()[j], a.entropies()[j], 1e-4, what + ": entropy");
                assertEquals(e.logprobs()[j], a.logprobs()[j], 1e-4, what + ": logprob");
            }
        }
    }
}

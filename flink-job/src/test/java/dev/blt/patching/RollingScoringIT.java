package dev.blt.patching;

import static dev.blt.patching.StepScoringIT.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rolling cache of a sliding-window entropy model (docs/DESIGN.md, "Rolling cache"): a stream
 * scores to the same bits however it arrives (whole, byte by byte, in any chunks), with restores
 * that drop the cache, beside any other streams in a batch, and at any offset that is a multiple of
 * 2^31: the patches never depend on the cache, the batch or how long the stream has run.
 */
class RollingScoringIT {

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#rolling")
    void aStreamScoresToTheSameBitsHoweverItArrives(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        RollingWindow window = model.entropyScorer().rolling().window();
        byte[] data = SampleText.stream(6 * window.maxCallTokens() + 5 * window.window());
        List<ClosedPatch> whole = new OfflinePatcher(model.patcherSettings(), model.entropyScorer()).patchStream(List.of(data));
        Random random = new Random(5);
        for (int maxPiece : new int[] {1, 7, 3 * window.maxCallTokens()}) {
            StreamPatcher patcher = new StreamPatcher(model.patcherSettings());
            List<ClosedPatch> pieces = new ArrayList<>();
            int restores = 0;
            List<byte[]> chunks = SampleText.chunk(data, maxPiece, random);
            for (int c = 0; c < chunks.size(); c++) {
                byte[] piece = chunks.get(c);
                patcher.append(piece);
                BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
                assertTrue(patcher.cacheBytes() > 0, "a scored stream keeps its window");
                pieces.addAll(patcher.drain());
                if (c == 1 || random.nextInt(maxPiece == 1 ? 200 : 8) == 0) { // one restore early on at least
                    patcher = StreamPatcher.restore(model.patcherSettings(), patcher.snapshot()); // no cache
                    assertEquals(0, patcher.cacheBytes());
                    restores++;
                }
            }
            pieces.addAll(patcher.finish(CloseReason.END_OF_STREAM));
            assertTrue(restores > 0);
            assertBitIdentical(whole, pieces, folder.getFileName() + ", pieces of 1.." + maxPiece + " bytes");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#rolling")
    void streamsBatchedTogetherScoreAsAlone(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        byte[] data = SampleText.stream(4000);
        int[] lengths = {1, 2, 37, 700, 3999};
        List<StreamPatcher> together = new ArrayList<>();
        for (int length : lengths) {
            StreamPatcher p = new StreamPatcher(model.patcherSettings());
            p.append(Arrays.copyOfRange(data, 4000 - length, 4000));
            together.add(p);
        }
        // A second round in which some streams continue from their caches and others start.
        BatchScoring.scoreAll(together.subList(2, 5), model.entropyScorer());
        for (StreamPatcher p : together.subList(2, 5)) {
            p.drain();
            p.append(new byte[] {'a', '\n'});
        }
        BatchScoring.scoreAll(together, model.entropyScorer());
        for (int i = 0; i < lengths.length; i++) {
            StreamPatcher alone = new StreamPatcher(model.patcherSettings());
            alone.append(Arrays.copyOfRange(data, 4000 - lengths[i], 4000));
            BatchScoring.scoreAll(List.of(alone), model.entropyScorer());
            List<ClosedPatch> expected = new ArrayList<>(alone.drain());
            if (i >= 2) {
                alone.append(new byte[] {'a', '\n'});
                BatchScoring.scoreAll(List.of(alone), model.entropyScorer());
                expected.addAll(alone.drain());
            }
            expected.addAll(alone.finish(CloseReason.END_OF_STREAM));
            List<ClosedPatch> actual = new ArrayList<>();
            StreamPatcher p = together.get(i);
            if (i < 2) {
                actual.addAll(p.drain());
            } else {
                actual.addAll(restartedDrain(model, data, lengths[i], p));
            }
            actual.addAll(p.finish(CloseReason.END_OF_STREAM));
            assertBitIdentical(expected, actual, folder.getFileName() + ", a stream of " + lengths[i] + " bytes in a batch");
        }
    }

    /** The patches of a stream that drained once before: its first drain's, then the rest. */
    private static List<ClosedPatch> restartedDrain(LoadedModel model, byte[] data, int length, StreamPatcher p) {
        StreamPatcher first = new StreamPatcher(model.patcherSettings());
        first.append(Arrays.copyOfRange(data, 4000 - length, 4000));
        BatchScoring.scoreAll(List.of(first), model.entropyScorer());
        List<ClosedPatch> out = new ArrayList<>(first.drain());
        out.addAll(p.drain());
        return out;
    }

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#rolling")
    void aStreamPast2To31ScoresAsOneAtZeroWithTheSameRecentBytes(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        byte[] data = SampleText.stream(3 * model.entropyScorer().rolling().window().maxCallTokens() + 100);
        int split = data.length - 100;
        StreamPatcher atZero = new StreamPatcher(model.patcherSettings());
        atZero.append(Arrays.copyOf(data, split));
        BatchScoring.scoreAll(List.of(atZero), model.entropyScorer());
        atZero.drain();
        byte[] state = atZero.snapshot();
        long offset = 1L << 31;
        StreamPatcher restored = StreamPatcher.restore(model.patcherSettings(), state);
        StreamPatcher moved = StreamPatcher.restore(model.patcherSettings(), movedBy(state, offset));
        assertEquals(atZero.received() + offset, moved.received());
        byte[] rest = Arrays.copyOfRange(data, split, data.length);
        List<List<ClosedPatch>> outputs = new ArrayList<>();
        for (StreamPatcher p : List.of(atZero, restored, moved)) {
            p.append(rest);
            BatchScoring.scoreAll(List.of(p), model.entropyScorer());
            List<ClosedPatch> out = new ArrayList<>(p.drain());
            out.addAll(p.finish(CloseReason.END_OF_STREAM));
            outputs.add(out);
        }
        assertBitIdentical(outputs.get(0), outputs.get(1), folder.getFileName() + ", a rebuilt cache");
        List<ClosedPatch> back = outputs.get(2).stream().map(c -> new ClosedPatch(c.patchIndex(), c.startOffset() - offset,
                c.bytes(), c.entropies(), c.logprobs(), c.reason())).toList();
        assertBitIdentical(outputs.get(0), back, folder.getFileName() + ", the same bytes 2^31 further on");
        assertTrue(outputs.get(0).size() > 3, "the rest of the stream closes patches");
    }

    @ParameterizedTest
    @MethodSource("dev.blt.testing.ModelFolders#rolling")
    void theRunnerRefusesCallsTheRingCannotHold(Path folder) {
        LoadedModel model = ModelFolders.load(folder);
        RollingScorer scorer = model.entropyScorer().rolling();
        long[] tooMany = new long[scorer.window().maxCallTokens() + 1];
        Arrays.fill(tooMany, 100);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> scorer.score(List.of(new RollingScorer.Call(0, tooMany, new RollingCache(0), Float.NaN))));
        assertTrue(e.getMessage().contains("1 to " + scorer.window().maxCallTokens()), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> scorer.score(List.of(new RollingScorer.Call(3, new long[] {100, 101}, new RollingCache(0), Float.NaN))));
    }

    /**
     * A patcher snapshot (format 4) with every stream position moved on by offset: the state of a
     * stream that has run offset bytes longer with the same recent bytes (not one taken over afresh:
     * its bases, at the end, stay 0).
     */
    static byte[] movedBy(byte[] snapshot, long offset) {
        ByteBuffer b = ByteBuffer.wrap(snapshot.clone());
        assertEquals(4, b.getInt(0), "the snapshot layout this helper knows");
        for (int field = 0; field < 5; field++) { // received, scoredUpTo, logprobUpTo, ruled, bufferStart
            int at = 4 + 8 * field;
            b.putLong(at, b.getLong(at) + offset);
        }
        int bufferLength = b.getInt(44);
        int scoresFrom = b.getInt(48 + bufferLength);
        int openStartAt = 52 + bufferLength + 8 * (bufferLength - scoresFrom + 1);
        b.putLong(openStartAt, b.getLong(openStartAt) + offset);
        int openLength = b.getInt(openStartAt + 8);
        int separatorsAt = openStartAt + 12 + 9 * openLength + 8 + 4;
        assertEquals(0, b.getInt(separatorsAt), "a plain stream has no pending record separators");
        assertEquals(separatorsAt + 4 + 16, snapshot.length, "then the two afresh bases, the end");
        assertEquals(0, b.getLong(separatorsAt + 4) | b.getLong(separatorsAt + 12), "no afresh bases");
        return b.array();
    }
}

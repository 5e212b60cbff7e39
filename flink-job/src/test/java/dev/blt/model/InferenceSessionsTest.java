package dev.blt.model;

import dev.blt.patching.EntropyScorer;
import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Sessions are shared per graph and device, freed with their last holder, and safe to call concurrently. */
class InferenceSessionsTest {

    private static ModelBundle anyModel() {
        return ModelBundle.fromDirectory(ModelFolders.all().get(0));
    }

    @Test
    void holdersShareOneSessionWhichClosesWithTheLast() throws Exception {
        ModelBundle bundle = anyModel();
        // Three intra-op threads: a session of its own, which no other test (or a job they left closing) holds.
        SessionSettings settings = new SessionSettings(Device.parse("cpu"), 3);
        assertEquals(0, InferenceSessions.holders(bundle.entropyModel(), settings));
        SharedSession first = InferenceSessions.acquire(bundle.entropyModel(), settings);
        SharedSession second = InferenceSessions.acquire(bundle.entropyModel(), settings);
        assertEquals(2, InferenceSessions.holders(bundle.entropyModel(), settings), "one session, two holders");
        first.close();
        first.close(); // a second close of one handle must not release another holder's share
        assertEquals(1, InferenceSessions.holders(bundle.entropyModel(), settings));
        second.close();
        assertEquals(0, InferenceSessions.holders(bundle.entropyModel(), settings), "closed with its last holder");
        assertThrows(IllegalStateException.class, () -> second.run(Map.of(), Set.of()));
    }

    @Test
    void concurrentCallersGetTheirOwnRowsBack() throws Exception {
        ModelBundle bundle = anyModel();
        List<long[]> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            long[] row = new long[10 + 3 * i];
            row[0] = bundle.manifest().tokens().bos();
            for (int t = 1; t < row.length; t++) {
                row[t] = bundle.manifest().tokens().byteOffset() + (i * 31 + t * 7) % 256;
            }
            rows.add(row);
        }
        try (EntropyModelRunner runner = InferenceSessions.entropyRunner(bundle, SessionSettings.cpu(), EntropyModelRunner.DEFAULT_TOKEN_BUDGET)) {
            List<EntropyScorer.Scores> expected = runner.run(rows);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<EntropyScorer.Scores>> futures = new ArrayList<>();
                for (int round = 0; round < 4; round++) {
                    for (long[] row : rows) {
                        futures.add(pool.submit(() -> runner.run(List.of(row)).get(0)));
                    }
                }
                for (int i = 0; i < futures.size(); i++) {
                    EntropyScorer.Scores want = expected.get(i % rows.size());
                    EntropyScorer.Scores got = futures.get(i).get();
                    FloatAsserts.assertClose("row " + i % rows.size() + " entropy", want.entropy(), got.entropy(),
                            new FloatAsserts.Tolerance(1e-5, 1e-5));
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void cudaWithoutTheGpuBuildSaysToBuildWithPgpu() {
        assumeFalse(OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA),
                "this build has the CUDA provider");
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> InferenceSessions.acquire(anyModel().bltModel(), SessionSettings.on(Device.cuda(0))));
        assertTrue(e.getMessage().contains("-Pgpu"), e.getMessage());
        assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
    }

    @Test
    void emptyRowsGiveEmptyOutputsWithoutAModelCall() throws Exception {
        try (EntropyModelRunner runner = InferenceSessions.entropyRunner(anyModel(), SessionSettings.cpu(), EntropyModelRunner.DEFAULT_TOKEN_BUDGET)) {
            List<EntropyScorer.Scores> out = runner.run(List.of(new long[0], new long[] {1, 40}, new long[0]));
            assertEquals(0, out.get(0).entropy().length);
            assertEquals(2, out.get(1).entropy().length);
            assertEquals(0, out.get(2).nextLogprob().length);
            assertEquals(0, runner.run(List.of()).size());
        }
    }

    @Test
    void tokensOutsideTheVocabularyAreRejectedWithTheirRow() throws Exception {
        try (EntropyModelRunner runner = InferenceSessions.entropyRunner(anyModel(), SessionSettings.cpu(), EntropyModelRunner.DEFAULT_TOKEN_BUDGET)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> runner.run(List.of(new long[] {1, 5}, new long[] {1, 260})));
            assertEquals("row 1 position 1: token 260 is outside the vocabulary [0, 260)", e.getMessage());
        }
    }
}

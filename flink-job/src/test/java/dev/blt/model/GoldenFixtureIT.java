package dev.blt.model;

import dev.blt.bltstage.BltScorer;
import dev.blt.patching.EntropyScorer;
import dev.blt.testing.Fixtures;
import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;

import static dev.blt.testing.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported graphs, run by ONNX Runtime Java, against the outputs PyTorch computed at export
 * time (fixtures.json, "model_calls"): first the exact padded batches the exporter fed, then the
 * same rows unpadded through the runners in several batch compositions. Agreement in every
 * composition shows that padding and batch neighbours do not bleed into a row.
 */
class GoldenFixtureIT {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void entropyGraphMatchesPaddedFixtureCall(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        JsonNode fixtures = Fixtures.load(folder);
        JsonNode call = fixtures.at("/model_calls/entropy");
        int[] shape = Fixtures.shape(call.get("tokens"));
        try (SharedSession session = InferenceSessions.acquire(bundle.entropyModel(), ModelFolders.sessionSettings());
                OnnxTensor tokens = Tensors.int64(Fixtures.longs(call.get("tokens")), shape[0], shape[1]);
                OrtSession.Result result = session.run(Map.of(GraphTensor.TOKENS.id, tokens),
                        Set.of(GraphTensor.ENTROPY.id, GraphTensor.NEXT_LOGPROB.id))) {
            for (String output : List.of(GraphTensor.ENTROPY.id, GraphTensor.NEXT_LOGPROB.id)) {
                Tensors.Floats actual = Tensors.floats(result, output, shape[0], shape[1]);
                assertClose(folder.getFileName() + " entropy." + output, shape, Fixtures.floats(call.get(output)),
                        actual.data(), Fixtures.tolerance(fixtures));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void bltGraphMatchesPaddedFixtureCall(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        JsonNode fixtures = Fixtures.load(folder);
        JsonNode call = fixtures.at("/model_calls/blt");
        int[] tokenShape = Fixtures.shape(call.get("tokens"));
        int[] startShape = Fixtures.shape(call.get("patch_start"));
        Set<String> outputs = Set.of(GraphTensor.PATCH_EMBEDDING.id, GraphTensor.NEXT_LOGPROB.id, GraphTensor.PATCH_END_LOGPROBS.id);
        try (SharedSession session = InferenceSessions.acquire(bundle.bltModel(), ModelFolders.sessionSettings());
                OnnxTensor tokens = Tensors.int64(Fixtures.longs(call.get("tokens")), tokenShape[0], tokenShape[1]);
                OnnxTensor starts = Tensors.int64(Fixtures.longs(call.get("patch_start")), startShape[0],
                        startShape[1]);
                OrtSession.Result result = session.run(
                        Map.of(GraphTensor.TOKENS.id, tokens, GraphTensor.PATCH_START.id, starts), outputs)) {
            for (String output : outputs) {
                JsonNode expected = call.get(output);
                int[] shape = Fixtures.shape(expected);
                Tensors.Floats actual = Tensors.floats(result, output, Arrays.stream(shape).asLongStream().toArray());
                assertClose(folder.getFileName() + " blt." + output, shape, Fixtures.floats(expected), actual.data(),
                        Fixtures.tolerance(fixtures));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void entropyRunnerRowsMatchFixtureInAnyBatchComposition(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        JsonNode fixtures = Fixtures.load(folder);
        JsonNode call = fixtures.at("/model_calls/entropy");
        List<long[]> rows = entropyRows(call, bundle.manifest().tokens().pad());
        int width = Fixtures.shape(call.get("tokens"))[1];

        for (Composition composition : compositions(width)) {
            try (EntropyModelRunner runner = InferenceSessions.entropyRunner(bundle, ModelFolders.sessionSettings(),
                    composition.tokenBudget)) {
                List<EntropyScorer.Scores> outputs = composition.run(rows, runner::run);
                for (int r = 0; r < rows.size(); r++) {
                    String what = folder.getFileName() + " " + composition.name + " row " + r;
                    int n = rows.get(r).length;
                    EntropyScorer.Scores out = outputs.get(r);
                    assertEquals(n, out.entropy().length, what + " entropy length");
                    assertClose(what + " entropy", Arrays.copyOf(Fixtures.floats(call.get("entropy").get(r)), n),
                            out.entropy(), Fixtures.tolerance(fixtures));
                    assertRealLogprobs(what, Fixtures.floats(call.get("next_logprob").get(r)), out.nextLogprob(),
                            Fixtures.tolerance(fixtures));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void bltRunnerRowsMatchFixtureInAnyBatchComposition(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        JsonNode fixtures = Fixtures.load(folder);
        FloatAsserts.Tolerance tol = Fixtures.tolerance(fixtures);
        JsonNode call = fixtures.at("/model_calls/blt");
        int pad = bundle.manifest().tokens().pad();
        List<BltCall> calls = new ArrayList<>();
        for (int r = 0; r < call.get("tokens").size(); r++) {
            long[] tokens = unpad(Fixtures.longs(call.get("tokens").get(r)), pad);
            // Real patches start inside the row; pad_blt_batch's extra and empty patches do not.
            long[] starts = Arrays.stream(Fixtures.longs(call.get("patch_start").get(r)))
                    .filter(s -> s < tokens.length).toArray();
            calls.add(new BltCall(tokens, starts));
        }
        int width = Fixtures.shape(call.get("tokens"))[1];

        for (Composition composition : compositions(width)) {
            try (BltModelRunner runner = InferenceSessions.bltRunner(bundle, ModelFolders.sessionSettings(),
                    composition.tokenBudget)) {
                List<BltScorer.Outputs> outputs = composition.run(calls, runner::run);
                for (int r = 0; r < calls.size(); r++) {
                    String what = folder.getFileName() + " " + composition.name + " call " + r;
                    int p = calls.get(r).patchStart().length;
                    BltScorer.Outputs out = outputs.get(r);
                    assertClose(what + " patch_embedding",
                            Arrays.copyOf(Fixtures.floatRows(call.get("patch_embedding").get(r)), p),
                            out.patchEmbedding(), tol);
                    assertClose(what + " patch_end_logprobs",
                            Arrays.copyOf(Fixtures.floatRows(call.get("patch_end_logprobs").get(r)), p),
                            out.patchEndLogprobs(), tol);
                    assertRealLogprobs(what, Fixtures.floats(call.get("next_logprob").get(r)), out.nextLogprob(), tol);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void hiddenStatesDoNotDependOnBatchComposition(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        JsonNode fixtures = Fixtures.load(folder);
        JsonNode call = fixtures.at("/model_calls/entropy");
        List<long[]> rows = entropyRows(call, bundle.manifest().tokens().pad());
        int d = ((Number) bundle.manifest().models().entropy().config().get("d_model")).intValue();
        try (EntropyModelRunner runner = InferenceSessions.entropyRunner(bundle, ModelFolders.sessionSettings(),
                EntropyModelRunner.DEFAULT_TOKEN_BUDGET)) {
            List<float[][]> together = runner.hidden(rows);
            for (int r = 0; r < rows.size(); r++) {
                float[][] alone = runner.hidden(List.of(rows.get(r))).get(0);
                assertEquals(rows.get(r).length, alone.length);
                assertEquals(d, alone[0].length, "hidden width is the manifest's d_model");
                assertClose(folder.getFileName() + " hidden of row " + r + ", alone vs batched", alone,
                        together.get(r), Fixtures.tolerance(fixtures));
            }
        }
    }

    /**
     * next_logprob of a row of n tokens: positions before n - 1 as in the padded fixture; the last
     * is 0, because the row has no next token. (In the padded fixture the last real position holds
     * log p(pad), the token that followed it in the batch.)
     */
    private static void assertRealLogprobs(String what, float[] paddedExpected, float[] actual,
            FloatAsserts.Tolerance tol) {
        int n = actual.length;
        assertClose(what + " next_logprob", Arrays.copyOf(paddedExpected, n - 1), Arrays.copyOf(actual, n - 1), tol);
        assertEquals(0f, Math.abs(actual[n - 1]), what + " next_logprob at the last position");
    }

    /** The row without its right padding. Fixture rows never end in the pad token themselves. */
    /** The fixture's entropy-model rows without their padding. */
    private static List<long[]> entropyRows(JsonNode call, int pad) {
        List<long[]> rows = new ArrayList<>();
        for (JsonNode padded : call.get("tokens")) {
            rows.add(unpad(Fixtures.longs(padded), pad));
        }
        return rows;
    }

    private static long[] unpad(long[] padded, int pad) {
        int n = padded.length;
        while (n > 0 && padded[n - 1] == pad) {
            n--;
        }
        long[] row = Arrays.copyOf(padded, n);
        assertTrue(Arrays.stream(row).noneMatch(t -> t == pad), "fixture row holds the pad token inside");
        return row;
    }

    /** One way of cutting the same rows into model calls. */
    private record Composition(String name, long tokenBudget, boolean oneAtATime, boolean reversed) {

        <I, O> List<O> run(List<I> rows, ThrowingBatch<I, O> batch) throws Exception {
            List<I> order = new ArrayList<>(rows);
            if (reversed) {
                Collections.reverse(order);
            }
            List<O> out = new ArrayList<>();
            if (oneAtATime) {
                for (I row : order) {
                    out.addAll(batch.apply(List.of(row)));
                }
            } else {
                out.addAll(batch.apply(order));
            }
            if (reversed) {
                Collections.reverse(out);
            }
            return out;
        }
    }

    /** A runner's batch call, which may throw OrtException. */
    private interface ThrowingBatch<I, O> {
        List<O> apply(List<I> rows) throws Exception;
    }

    private static List<Composition> compositions(int width) {
        return List.of(
                new Composition("all in one batch", 1L << 20, false, false),
                new Composition("one row per call", 1L << 20, true, false),
                // A budget of two full rows splits the sorted rows into several calls.
                new Composition("reversed, two rows per call", 2L * width, false, true));
    }
}

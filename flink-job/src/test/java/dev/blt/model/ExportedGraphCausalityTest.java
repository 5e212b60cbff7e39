package dev.blt.model;

import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;

import static dev.blt.testing.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exported ONNX graphs are causal: changing token t+1 leaves every output that may only depend
 * on tokens 0..t untouched. The streaming scheme (fixed windows by absolute offset) and right
 * padding are only exact if this holds, and it is checked here on the graphs as ONNX Runtime runs
 * them, since there is no ONNX Runtime for Python on the export machine.
 *
 * <p>Values that must not change are compared with a tolerance of 1e-6: masked attention weights
 * are exactly 0, so any leak shows up far above float noise.
 */
class ExportedGraphCausalityTest {

    private static final int LENGTH = 48;
    private static final FloatAsserts.Tolerance UNCHANGED = new FloatAsserts.Tolerance(1e-6, 1e-6);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void entropyGraphIsCausal(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        ModelManifest.Tokens ids = bundle.manifest().tokens();
        Random random = new Random(42);
        long[] tokens = randomRow(random, ids);
        Set<String> outputs = Set.of(GraphTensor.ENTROPY.id, GraphTensor.NEXT_LOGPROB.id, GraphTensor.HIDDEN.id);
        try (SharedSession session = InferenceSessions.acquire(bundle.entropyModel(), ModelFolders.sessionSettings())) {
            Map<String, Tensors.Floats> before = runEntropy(session, tokens, outputs);
            for (int t : new int[] {0, 1, LENGTH / 2, LENGTH - 2}) {
                long[] changed = changeToken(tokens, t + 1, random, ids);
                Map<String, Tensors.Floats> after = runEntropy(session, changed, outputs);
                String what = folder.getFileName() + " entropy model, token " + (t + 1) + " changed:";
                assertClose(what + " entropy", prefix(before, GraphTensor.ENTROPY.id, t + 1),
                        prefix(after, GraphTensor.ENTROPY.id, t + 1), UNCHANGED);
                int d = before.get(GraphTensor.HIDDEN.id).dim(2);
                assertClose(what + " hidden", new int[] {t + 1, d},
                        prefix(before, GraphTensor.HIDDEN.id, (t + 1) * d), prefix(after, GraphTensor.HIDDEN.id, (t + 1) * d),
                        UNCHANGED);
                assertClose(what + " next_logprob", prefix(before, GraphTensor.NEXT_LOGPROB.id, t),
                        prefix(after, GraphTensor.NEXT_LOGPROB.id, t), UNCHANGED);
                // The change itself must be seen, or the checks above prove nothing.
                assertNotEquals(before.get(GraphTensor.NEXT_LOGPROB.id).data()[t], after.get(GraphTensor.NEXT_LOGPROB.id).data()[t],
                        what + " next_logprob at " + t + " should reflect the new token");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void bltGraphIsCausal(Path folder) throws Exception {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        ModelManifest.Tokens ids = bundle.manifest().tokens();
        Random random = new Random(43);
        long[] tokens = randomRow(random, ids);
        long[] starts = randomPatchStarts(random);
        Set<String> outputs = Set.of(GraphTensor.PATCH_EMBEDDING.id, GraphTensor.NEXT_LOGPROB.id, GraphTensor.PATCH_END_LOGPROBS.id);
        try (SharedSession session = InferenceSessions.acquire(bundle.bltModel(), ModelFolders.sessionSettings())) {
            Map<String, Tensors.Floats> before = runBlt(session, tokens, starts, outputs);
            for (int t : new int[] {0, 1, LENGTH / 2, LENGTH - 2}) {
                Map<String, Tensors.Floats> after = runBlt(session, changeToken(tokens, t + 1, random, ids), starts,
                        outputs);
                String what = folder.getFileName() + " BLT, token " + (t + 1) + " changed (patches start at "
                        + Arrays.toString(starts) + "):";
                assertClose(what + " next_logprob", prefix(before, GraphTensor.NEXT_LOGPROB.id, t),
                        prefix(after, GraphTensor.NEXT_LOGPROB.id, t), UNCHANGED);
                // Patches that end at or before t hold only tokens the change cannot reach.
                int closed = patchesEndingBy(starts, t);
                for (String output : new String[] {GraphTensor.PATCH_EMBEDDING.id, GraphTensor.PATCH_END_LOGPROBS.id}) {
                    int width = before.get(output).dim(2);
                    assertClose(what + " " + output, new int[] {closed, width},
                            prefix(before, output, closed * width), prefix(after, output, closed * width), UNCHANGED);
                }
                assertNotEquals(before.get(GraphTensor.NEXT_LOGPROB.id).data()[t], after.get(GraphTensor.NEXT_LOGPROB.id).data()[t],
                        what + " next_logprob at " + t + " should reflect the new token");
            }
        }
    }

    /** BOS, then random byte tokens. */
    private static long[] randomRow(Random random, ModelManifest.Tokens ids) {
        long[] row = new long[LENGTH];
        row[0] = ids.bos();
        for (int i = 1; i < LENGTH; i++) {
            row[i] = ids.byteOffset() + random.nextInt(256);
        }
        return row;
    }

    private static long[] changeToken(long[] tokens, int position, Random random, ModelManifest.Tokens ids) {
        long[] changed = tokens.clone();
        while (changed[position] == tokens[position]) {
            changed[position] = ids.byteOffset() + random.nextInt(256);
        }
        return changed;
    }

    /** 0, then about one start in four positions: patches of a few tokens, as the patcher makes. */
    private static long[] randomPatchStarts(Random random) {
        TreeSet<Long> starts = new TreeSet<>(Set.of(0L));
        for (int i = 1; i < LENGTH; i++) {
            if (random.nextInt(4) == 0) {
                starts.add((long) i);
            }
        }
        return starts.stream().mapToLong(Long::longValue).toArray();
    }

    /** How many leading patches end at or before position t (a patch ends where the next starts). */
    private static int patchesEndingBy(long[] starts, int t) {
        int p = 0;
        while (p < starts.length && (p + 1 < starts.length ? starts[p + 1] - 1 : LENGTH - 1) <= t) {
            p++;
        }
        return p;
    }

    private static float[] prefix(Map<String, Tensors.Floats> outputs, String name, int count) {
        return Arrays.copyOf(outputs.get(name).data(), count);
    }

    private static Map<String, Tensors.Floats> runEntropy(SharedSession session, long[] tokens, Set<String> outputs)
            throws Exception {
        try (OnnxTensor input = Tensors.int64(tokens, 1, tokens.length);
                OrtSession.Result result = session.run(Map.of(GraphTensor.TOKENS.id, input), outputs)) {
            return read(result, outputs);
        }
    }

    private static Map<String, Tensors.Floats> runBlt(SharedSession session, long[] tokens, long[] starts,
            Set<String> outputs) throws Exception {
        try (OnnxTensor tokenTensor = Tensors.int64(tokens, 1, tokens.length);
                OnnxTensor startTensor = Tensors.int64(starts, 1, starts.length);
                OrtSession.Result result = session.run(
                        Map.of(GraphTensor.TOKENS.id, tokenTensor, GraphTensor.PATCH_START.id, startTensor), outputs)) {
            return read(result, outputs);
        }
    }

    private static Map<String, Tensors.Floats> read(OrtSession.Result result, Set<String> outputs) {
        return outputs.stream().collect(Collectors.toMap(name -> name,
                name -> Tensors.floats(result, name, 1)));
    }
}

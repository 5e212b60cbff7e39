package dev.blt.model;

import dev.blt.patching.EntropyScorer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Runs the exported entropy model on rows of tokens of any lengths.
 *
 * <p>Rows are padded on the right with the manifest's pad token into [B, T] batches (see
 * {@link LengthBatches}). The model is causal, so padding after a row cannot change its values,
 * with one exception that is corrected here: at a row's last real position {@code next_logprob} is
 * the log-probability of the pad token that follows it in the batch, where an unpadded run gives 0.
 * The runner writes 0 there, so a row's outputs never depend on the rows batched with it.
 *
 * <p>Entropy is computed inside the graph (docs/DESIGN.md, "Devices and batching": returning
 * [B,T,260] logits would cost more than the model), and only the outputs a caller needs are fetched.
 *
 * <p>Thread-safe: a runner holds no per-call state, so one instance may serve every slot.
 */
public final class EntropyModelRunner extends BatchedGraphRunner implements EntropyScorer {

    /**
     * Padded tokens per call. The largest tensors of one call are the logits ([B,T,260] floats,
     * 17 MB at this budget) and each layer's attention scores ([B,heads,T,T]); calls this size
     * already amortise ONNX Runtime's per-call overhead.
     */
    public static final long DEFAULT_TOKEN_BUDGET = 16_384;

    private static final Set<String> ENTROPY_OUTPUTS = Set.of(GraphTensor.ENTROPY.id, GraphTensor.NEXT_LOGPROB.id);
    private static final Set<String> HIDDEN_OUTPUT = Set.of(GraphTensor.HIDDEN.id);

    /** Takes over {@code session}: closing the runner releases it. */
    public EntropyModelRunner(SharedSession session, ModelManifest manifest, long tokenBudget) {
        super(session, manifest, tokenBudget, GraphIo.ENTROPY_GRAPH);
    }

    @Override
    public List<Scores> score(List<long[]> windows) {
        try {
            return run(windows);
        } catch (OrtException e) {
            throw inferenceFailed(e);
        }
    }

    /** Entropy and next-token log-probability of every position of every row, in input order. */
    public List<EntropyScorer.Scores> run(List<long[]> rows) throws OrtException {
        return runBatches(rows, ENTROPY_OUTPUTS, (result, batch, width) -> {
            Tensors.Floats entropy = Tensors.floats(result, GraphTensor.ENTROPY.id, batch.length, width);
            Tensors.Floats logprob = Tensors.floats(result, GraphTensor.NEXT_LOGPROB.id, batch.length, width);
            List<EntropyScorer.Scores> out = new ArrayList<>(batch.length);
            for (int b = 0; b < batch.length; b++) {
                int n = rows.get(batch[b]).length;
                float[] nextLogprob = logprob.slice(b * width, n);
                nextLogprob[n - 1] = 0f;
                out.add(new EntropyScorer.Scores(entropy.slice(b * width, n), nextLogprob));
            }
            return out;
        }, new EntropyScorer.Scores(new float[0], new float[0]));
    }

    /** The final normed hidden state [T][d_model] of every row, in input order. */
    public List<float[][]> hidden(List<long[]> rows) throws OrtException {
        return runBatches(rows, HIDDEN_OUTPUT, (result, batch, width) -> {
            Tensors.Floats hidden = Tensors.floats(result, GraphTensor.HIDDEN.id, batch.length, width);
            int d = hidden.dim(2);
            List<float[][]> out = new ArrayList<>(batch.length);
            for (int b = 0; b < batch.length; b++) {
                out.add(hidden.slices(b * width * d, rows.get(batch[b]).length, d));
            }
            return out;
        }, new float[0][]);
    }

    /** Reads one batch's rows (in batch order) out of a run's result. */
    private interface BatchReader<T> {
        List<T> read(OrtSession.Result result, int[] batch, int width);
    }

    private <T> List<T> runBatches(List<long[]> rows, Set<String> outputs, BatchReader<T> reader, T empty)
            throws OrtException {
        // Check every row first, so a bad row fails the call before any model time is spent.
        for (int i = 0; i < rows.size(); i++) {
            tokens.check(rows.get(i), "row " + i);
        }
        List<T> results = new ArrayList<>(Collections.nCopies(rows.size(), empty));
        // Empty rows have no positions, and a zero-width batch is not worth a model call.
        int[] nonEmpty = IntStream.range(0, rows.size()).filter(i -> rows.get(i).length > 0).toArray();
        int[] lengths = Arrays.stream(nonEmpty).map(i -> rows.get(i).length).toArray();
        for (int[] group : LengthBatches.split(lengths, tokenBudget)) {
            int[] batch = Arrays.stream(group).map(g -> nonEmpty[g]).toArray();
            int width = Arrays.stream(batch).map(i -> rows.get(i).length).max().orElseThrow();
            long[] padded = new long[batch.length * width];
            Arrays.fill(padded, tokens.pad());
            for (int b = 0; b < batch.length; b++) {
                long[] row = rows.get(batch[b]);
                System.arraycopy(row, 0, padded, b * width, row.length);
            }
            try (OnnxTensor input = Tensors.int64(padded, batch.length, width);
                    OrtSession.Result result = session.run(Map.of(GraphTensor.TOKENS.id, input), outputs)) {
                List<T> read = reader.read(result, batch, width);
                for (int b = 0; b < batch.length; b++) {
                    results.set(batch[b], read.get(b));
                }
            }
        }
        return results;
    }

}

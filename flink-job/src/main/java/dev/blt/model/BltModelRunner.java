package dev.blt.model;

import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.BltStage;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the exported Byte Latent Transformer on calls of any lengths and patch counts.
 *
 * <p>Batches are padded exactly as {@code pad_blt_batch} in model-export/blt_models/runtime.py
 * does: tokens on the right with the pad token; a row shorter than the batch gets one extra patch
 * that starts at its first padding position, so the padding never joins its last real patch; the
 * remaining patch slots start at the batch width and are empty. Every padding patch comes after the
 * row's real patches, which the causal latent transformer and decoder keep from affecting them.
 * As in {@link EntropyModelRunner}, {@code next_logprob} at a row's last token would be the
 * log-probability of the padding that follows it, and is set to 0 as in an unpadded run.
 *
 * <p>Thread-safe: a runner holds no per-call state, so one instance may serve every slot.
 */
public final class BltModelRunner extends BatchedGraphRunner implements BltScorer {

    /**
     * Padded tokens per call. Smaller than the entropy model's: patch pooling's attention scores
     * every position for every patch ([B, heads, patches, T]), and an older graph's max-pool
     * materialises [B, patches, T, d_local], about 140 MB for the default model's windows here.
     */
    public static final long DEFAULT_TOKEN_BUDGET = 8_192;

    private final int maxPooledPatchBytes;

    private static final Set<String> OUTPUTS =
            Set.of(GraphTensor.PATCH_EMBEDDING.id, GraphTensor.NEXT_LOGPROB.id, GraphTensor.PATCH_END_LOGPROBS.id);

    /** Takes over {@code session}: closing the runner releases it. */
    public BltModelRunner(SharedSession session, ModelManifest manifest, long tokenBudget) {
        super(session, manifest, tokenBudget, GraphIo.BLT_GRAPH);
        this.maxPooledPatchBytes = manifest.maxPooledPatchBytes();
    }

    /** The BLT stage's windows, each one call (its tokens and patch starts). */
    @Override
    public List<Outputs> score(List<BltStage.Window> windows) {
        List<BltCall> calls = new ArrayList<>(windows.size());
        for (BltStage.Window w : windows) {
            calls.add(new BltCall(w.tokens(), w.patchStart()));
        }
        try {
            return run(calls);
        } catch (OrtException e) {
            throw inferenceFailed(e);
        }
    }

    /** A patch longer than the graph pools exactly would get the max of its last bytes only: refused. */
    static void checkPatchLengths(int tokenCount, long[] starts, int maxPooledPatchBytes, String what) {
        for (int p = 0; p < starts.length; p++) {
            long end = p + 1 < starts.length ? starts[p + 1] : tokenCount;
            if (end - starts[p] > maxPooledPatchBytes) {
                throw new IllegalArgumentException(what + ": patch " + p + " holds " + (end - starts[p])
                        + " tokens, more than the " + maxPooledPatchBytes + " this BLT graph pools "
                        + "(models.blt.config.max_pooled_patch_bytes)");
            }
        }
    }

    /** The outputs of every call, in input order. */
    public List<BltScorer.Outputs> run(List<BltCall> calls) throws OrtException {
        // Check every call first, so a bad one fails the call before any model time is spent.
        for (int i = 0; i < calls.size(); i++) {
            tokens.check(calls.get(i).tokens(), "call " + i);
            checkPatchLengths(calls.get(i).tokens().length, calls.get(i).patchStart(), maxPooledPatchBytes, "call " + i);
        }
        BltScorer.Outputs[] results = new BltScorer.Outputs[calls.size()];
        int[] lengths = calls.stream().mapToInt(c -> c.tokens().length).toArray();
        for (int[] batch : LengthBatches.split(lengths, tokenBudget)) {
            int width = Arrays.stream(batch).map(i -> lengths[i]).max().orElseThrow();
            int patches = Arrays.stream(batch)
                    .map(i -> calls.get(i).patchStart().length + (lengths[i] < width ? 1 : 0)).max().orElseThrow();
            long[] paddedTokens = new long[batch.length * width];
            long[] paddedStarts = new long[batch.length * patches];
            Arrays.fill(paddedTokens, tokens.pad());
            Arrays.fill(paddedStarts, width);
            for (int b = 0; b < batch.length; b++) {
                BltCall call = calls.get(batch[b]);
                System.arraycopy(call.tokens(), 0, paddedTokens, b * width, call.tokens().length);
                System.arraycopy(call.patchStart(), 0, paddedStarts, b * patches, call.patchStart().length);
                if (call.tokens().length < width) {
                    paddedStarts[b * patches + call.patchStart().length] = call.tokens().length;
                }
            }
            try (OnnxTensor tokenTensor = Tensors.int64(paddedTokens, batch.length, width);
                    OnnxTensor startTensor = Tensors.int64(paddedStarts, batch.length, patches);
                    OrtSession.Result result = session.run(
                            Map.of(GraphTensor.TOKENS.id, tokenTensor, GraphTensor.PATCH_START.id, startTensor), OUTPUTS)) {
                List<BltScorer.Outputs> read = read(result, calls, batch, width, patches);
                for (int b = 0; b < batch.length; b++) {
                    results[batch[b]] = read.get(b);
                }
            }
        }
        return Arrays.asList(results);
    }

    private static List<BltScorer.Outputs> read(OrtSession.Result result, List<BltCall> calls, int[] batch, int width,
            int patches) {
        Tensors.Floats embedding = Tensors.floats(result, GraphTensor.PATCH_EMBEDDING.id, batch.length, patches);
        Tensors.Floats logprob = Tensors.floats(result, GraphTensor.NEXT_LOGPROB.id, batch.length, width);
        Tensors.Floats endLogprobs = Tensors.floats(result, GraphTensor.PATCH_END_LOGPROBS.id, batch.length, patches);
        int d = embedding.dim(2);
        int vocab = endLogprobs.dim(2);
        List<BltScorer.Outputs> out = new ArrayList<>(batch.length);
        for (int b = 0; b < batch.length; b++) {
            BltCall call = calls.get(batch[b]);
            int n = call.tokens().length;
            int p = call.patchStart().length;
            float[] nextLogprob = logprob.slice(b * width, n);
            nextLogprob[n - 1] = 0f;
            out.add(new BltScorer.Outputs(embedding.slices(b * patches * d, p, d), nextLogprob,
                    endLogprobs.slices(b * patches * vocab, p, vocab)));
        }
        return out;
    }

}

package dev.blt.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.StepScorer;
import dev.blt.patching.WindowCache;
import java.util.Arrays;
import java.util.Map;

/**
 * Runs the incremental entropy graph ({@code models.entropy_step}): tokens that continue a window,
 * given the window's earlier positions as attention keys and values [layers, 1, heads, P, head_dim]
 * in a {@link WindowCache}. One window per call (windows of different streams have different P).
 *
 * <p>Every call carries two tokens at least, so its numbers are those of one pass over the window:
 * a lone new token runs together with the cached token before it, whose keys and values are
 * recomputed to the same bits.
 *
 * <p>Thread-safe: it holds no per-call state.
 */
public final class EntropyStepRunner implements StepScorer, AutoCloseable {

    private static final java.util.Set<String> OUTPUTS = java.util.Set.of(GraphTensor.ENTROPY.id, GraphTensor.NEXT_LOGPROB.id,
            GraphTensor.LAST_LOGP.id, GraphTensor.PRESENT_KEY.id, GraphTensor.PRESENT_VALUE.id);

    private final SharedSession session;
    private final ModelManifest.Tokens tokens;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final String location;

    /** Takes over {@code session}: closing the runner releases it. */
    public EntropyStepRunner(SharedSession session, ModelManifest manifest, String location) {
        session.requireSignature(GraphIo.ENTROPY_STEP_GRAPH);
        this.session = session;
        this.tokens = manifest.tokens();
        this.location = location;
        Map<String, Object> config = manifest.models().entropy().config();
        this.layers = ((Number) config.get("n_layers")).intValue();
        this.heads = ((Number) config.get("n_heads")).intValue();
        this.headDim = ((Number) config.get("d_model")).intValue() / heads;
    }

    @Override
    public EntropyScorer.Scores step(long[] fresh, WindowCache cache) {
        try {
            return run(fresh, cache);
        } catch (OrtException e) {
            throw new IllegalStateException("the incremental entropy model of " + location + " failed: " + e.getMessage(), e);
        }
    }

    private EntropyScorer.Scores run(long[] fresh, WindowCache cache) throws OrtException {
        tokens.check(fresh, "step");
        boolean lone = fresh.length == 1;
        if (lone && cache.positions() == 0) {
            throw new IllegalArgumentException("a step of one token needs a cached position before it");
        }
        int past = lone ? cache.positions() - 1 : cache.positions();
        long[] input = lone ? new long[] {cache.lastToken(), fresh[0]} : fresh;
        float[] pastKey = lone ? firstPositions(cache.keys(), cache.positions(), past) : cache.keys();
        float[] pastValue = lone ? firstPositions(cache.values(), cache.positions(), past) : cache.values();
        long[] pastShape = {layers, 1, heads, past, headDim};
        try (OnnxTensor t = Tensors.int64(input, 1, input.length);
                OnnxTensor k = Tensors.float32(pastKey, pastShape);
                OnnxTensor v = Tensors.float32(pastValue, pastShape);
                OrtSession.Result result = session.run(Map.of(GraphTensor.TOKENS.id, t, GraphTensor.PAST_KEY.id, k, GraphTensor.PAST_VALUE.id, v),
                        OUTPUTS)) {
            Tensors.Floats entropy = Tensors.floats(result, GraphTensor.ENTROPY.id, 1, input.length);
            Tensors.Floats logprob = Tensors.floats(result, GraphTensor.NEXT_LOGPROB.id, 1, input.length);
            Tensors.Floats lastLogp = Tensors.floats(result, GraphTensor.LAST_LOGP.id, 1);
            Tensors.Floats keys = Tensors.floats(result, GraphTensor.PRESENT_KEY.id, layers, 1, heads, past + input.length);
            Tensors.Floats values = Tensors.floats(result, GraphTensor.PRESENT_VALUE.id, layers, 1, heads, past + input.length);
            cache.update(past + input.length, input[input.length - 1], keys.data(), values.data(), lastLogp.data());
            int skip = lone ? 1 : 0; // the recomputed cached token's outputs are known already
            float[] nextLogprob = logprob.slice(skip, fresh.length);
            nextLogprob[fresh.length - 1] = 0f;
            return new EntropyScorer.Scores(entropy.slice(skip, fresh.length), nextLogprob);
        }
    }

    /** The first {@code keep} of {@code positions} positions of a [layers, 1, heads, positions, head_dim] array. */
    private float[] firstPositions(float[] cached, int positions, int keep) {
        float[] out = new float[layers * heads * keep * headDim];
        for (int lh = 0; lh < layers * heads; lh++) {
            System.arraycopy(cached, lh * positions * headDim, out, lh * keep * headDim, keep * headDim);
        }
        return out;
    }

    @Override
    public void close() {
        session.close();
    }

    @Override
    public String toString() {
        return "EntropyStepRunner" + Arrays.toString(new int[] {layers, heads, headDim});
    }
}

package dev.blt.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.RollingCache;
import dev.blt.patching.RollingScorer;
import dev.blt.patching.RollingWindow;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the rolling graph of a sliding-window entropy model ({@code models.entropy_rolling}): the
 * next tokens of many streams in one batched call, each after the keys and values of its
 * {@link RollingCache}, laid out as [layers, 1, heads, positions, head_dim].
 *
 * <p>Rows are right-padded with the pad token to a whole number of query blocks past the longest,
 * and the cached positions of rows with fewer are left-padded with zeros below the row's
 * {@code valid_from}, where the graph never looks. A key's place in the graph's reductions follows
 * from absolute positions only, so neither padding nor the rows beside it change a row's bits
 * (RollingScoringIT).
 *
 * <p>Thread-safe: it holds no per-call state; each cache belongs to one stream.
 */
public final class EntropyRollingRunner implements RollingScorer, AutoCloseable {

    private static final Set<String> OUTPUTS = Set.of(GraphTensor.ENTROPY.id, GraphTensor.NEXT_LOGPROB.id,
            GraphTensor.LAST_LOGP.id, GraphTensor.PRESENT_KEY.id, GraphTensor.PRESENT_VALUE.id);

    private final SharedSession session;
    private final ModelManifest.Tokens tokens;
    private final RollingWindow window;
    private final int heads;
    private final int headDim;
    private final long tokenBudget;
    private final String location;

    /** Takes over {@code session}: closing the runner releases it. */
    public EntropyRollingRunner(SharedSession session, ModelManifest manifest, long tokenBudget, String location) {
        session.requireSignature(GraphIo.ENTROPY_ROLLING_GRAPH);
        this.session = session;
        this.tokens = manifest.tokens();
        this.window = manifest.rollingWindow();
        Map<String, Object> config = manifest.models().entropyRolling().config();
        this.heads = ((Number) config.get("n_heads")).intValue();
        this.headDim = ((Number) config.get("d_model")).intValue() / heads;
        this.tokenBudget = tokenBudget;
        this.location = location;
    }

    @Override
    public RollingWindow window() {
        return window;
    }

    @Override
    public List<EntropyScorer.Scores> score(List<Call> calls) {
        for (int i = 0; i < calls.size(); i++) {
            check(calls.get(i), i);
        }
        // One graph run takes calls of one key span (RollingWindow#keySpan): streams in their first W
        // positions go by block, apart from those in their steady state.
        List<Integer> order = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            order.add(i);
        }
        order.sort(java.util.Comparator.comparingLong(i -> window.keySpan(calls.get(i).start())));
        EntropyScorer.Scores[] out = new EntropyScorer.Scores[calls.size()];
        int from = 0;
        while (from < order.size()) {
            long span = window.keySpan(calls.get(order.get(from)).start());
            int to = from + 1;
            int width = padded(calls.get(order.get(from)).tokens().length);
            while (to < order.size() && window.keySpan(calls.get(order.get(to)).start()) == span) {
                int wider = Math.max(width, padded(calls.get(order.get(to)).tokens().length));
                if ((long) (to - from + 1) * wider > tokenBudget) {
                    break;
                }
                width = wider;
                to++;
            }
            List<Call> batch = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                batch.add(calls.get(order.get(i)));
            }
            try {
                List<EntropyScorer.Scores> scores = run(batch, width);
                for (int i = from; i < to; i++) {
                    out[order.get(i)] = scores.get(i - from);
                }
            } catch (OrtException e) {
                throw new IllegalStateException("the rolling entropy model of " + location + " failed: " + e.getMessage(), e);
            }
            from = to;
        }
        return Arrays.asList(out);
    }

    /** A row's width: whole query blocks. */
    private int padded(int tokens) {
        return Math.floorDiv(tokens + window.queryBlock() - 1, window.queryBlock()) * window.queryBlock();
    }

    private void check(Call call, int index) {
        tokens.check(call.tokens(), "call " + index);
        int n = call.tokens().length;
        if (n < 1 || n > window.maxCallTokens()) {
            throw new IllegalArgumentException("call " + index + " carries " + n + " tokens; the rolling graph takes 1 to "
                    + window.maxCallTokens() + " per stream");
        }
        if (window.callEnd(call.start(), call.start() + n) < call.start() + n) {
            throw new IllegalArgumentException("call " + index + " runs positions " + call.start() + " to "
                    + (call.start() + n - 1) + " across the end of a query block that starts before W = "
                    + window.window() + ", which goes alone (RollingWindow#callEnd)");
        }
        if (call.start() != call.cache().end()) {
            throw new IllegalArgumentException("call " + index + " starts at position " + call.start()
                    + " but its cache continues at " + call.cache().end());
        }
    }

    private List<EntropyScorer.Scores> run(List<Call> batch, int width) throws OrtException {
        int rows = batch.size();
        int layers = window.layers();
        int past = batch.stream().mapToInt(call -> call.cache().positions()).max().orElse(0); // cached positions in
        long[] tokenRows = new long[rows * width];
        Arrays.fill(tokenRows, tokens.pad());
        long[] starts = new long[rows];
        long[] validFrom = new long[rows];
        long[] lengths = new long[rows];
        float[] pastKey = new float[layers * rows * heads * past * headDim];
        float[] pastValue = new float[pastKey.length];
        for (int r = 0; r < rows; r++) {
            Call call = batch.get(r);
            System.arraycopy(call.tokens(), 0, tokenRows, r * width, call.tokens().length);
            starts[r] = call.start();
            lengths[r] = call.tokens().length;
            int mine = call.cache().positions();
            validFrom[r] = Math.max(call.cache().validFrom(), call.start() - mine);
            for (int lh = 0; lh < layers * heads; lh++) {
                int l = lh / heads;
                int h = lh % heads;
                int to = (((l * rows + r) * heads + h) * past + past - mine) * headDim;
                System.arraycopy(call.cache().keys(), lh * mine * headDim, pastKey, to, mine * headDim);
                System.arraycopy(call.cache().values(), lh * mine * headDim, pastValue, to, mine * headDim);
            }
        }
        long[] pastShape = {layers, rows, heads, past, headDim};
        try (OnnxTensor t = Tensors.int64(tokenRows, rows, width);
                OnnxTensor s = Tensors.int64(starts);
                OnnxTensor v0 = Tensors.int64(validFrom);
                OnnxTensor lengthsTensor = Tensors.int64(lengths);
                OnnxTensor k = Tensors.float32(pastKey, pastShape);
                OnnxTensor v = Tensors.float32(pastValue, pastShape);
                OrtSession.Result result = session.run(Map.of(GraphTensor.TOKENS.id, t, GraphTensor.START.id, s,
                        GraphTensor.VALID_FROM.id, v0, GraphTensor.LENGTHS.id, lengthsTensor, GraphTensor.PAST_KEY.id, k,
                        GraphTensor.PAST_VALUE.id, v), OUTPUTS)) {
            Tensors.Floats entropy = Tensors.floats(result, GraphTensor.ENTROPY.id, rows, width);
            Tensors.Floats logprob = Tensors.floats(result, GraphTensor.NEXT_LOGPROB.id, rows, width);
            Tensors.Floats lastLogp = Tensors.floats(result, GraphTensor.LAST_LOGP.id, rows);
            int vocabulary = lastLogp.dim(1);
            int total = past + width;
            Tensors.Floats keys = Tensors.floats(result, GraphTensor.PRESENT_KEY.id, layers, rows, heads, total);
            Tensors.Floats values = Tensors.floats(result, GraphTensor.PRESENT_VALUE.id, layers, rows, heads, total);
            List<EntropyScorer.Scores> out = new ArrayList<>(rows);
            for (int r = 0; r < rows; r++) {
                Call call = batch.get(r);
                int n = call.tokens().length;
                float[] nextLogprob = logprob.slice(r * width, n);
                nextLogprob[n - 1] = 0f; // the pad after the row, or nothing: the next call scores it
                out.add(new EntropyScorer.Scores(entropy.slice(r * width, n), nextLogprob));
                roll(call, r, rows, total, past, keys.data(), values.data(),
                        lastLogp.slice(r * vocabulary, vocabulary));
            }
            return out;
        }
    }

    /** The call's cache after it: the window of positions before its end. */
    private void roll(Call call, int row, int rows, int total, int past, float[] keys, float[] values, float[] lastLogp) {
        int layers = window.layers();
        long end = call.start() + call.tokens().length;
        int keep = (int) Math.min(window.cachedPositions(), end - call.cache().validFrom());
        int from = past + (int) (end - keep - call.start()); // index of the first kept position
        float[] k = new float[layers * heads * keep * headDim];
        float[] v = new float[k.length];
        for (int lh = 0; lh < layers * heads; lh++) {
            int l = lh / heads;
            int h = lh % heads;
            int src = (((l * rows + row) * heads + h) * total + from) * headDim;
            System.arraycopy(keys, src, k, lh * keep * headDim, keep * headDim);
            System.arraycopy(values, src, v, lh * keep * headDim, keep * headDim);
        }
        call.cache().update(end, keep, k, v, lastLogp);
    }

    @Override
    public void close() {
        session.close();
    }

    @Override
    public String toString() {
        return "EntropyRollingRunner" + window;
    }
}

package dev.blt.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.blt.bltstage.BltRollingCache;
import dev.blt.bltstage.BltRollingShape;
import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.BltStage;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the rolling graph of a sliding-window BLT ({@code models.blt_rolling}): the next whole
 * patches of many streams in one batched call, each from its stream's {@link BltRollingCache}
 * (docs/DESIGN.md, "Rolling BLT stage"), and returns with each window's outputs the cache its next
 * window continues from.
 *
 * <p>Rows are padded as {@link BltModelRunner} pads them, to a whole number of query blocks. A window
 * without a cache starts from empty caches: exact at a stream's start (BOS first), and elsewhere a
 * rebuild whose first outputs the stage discards. The graph's outputs agree with one pass over the
 * whole stream within float tolerance, not bit for bit: no patch boundary depends on them.
 *
 * <p>Thread-safe: it holds no per-call state; each cache belongs to one stream.
 */
public final class BltRollingRunner extends BatchedGraphRunner {

    private static final Set<String> OUTPUTS = Set.of(GraphTensor.PATCH_EMBEDDING.id, GraphTensor.NEXT_LOGPROB.id,
            GraphTensor.PATCH_END_LOGPROBS.id, GraphTensor.PRESENT_BYTE_KEY.id, GraphTensor.PRESENT_BYTE_VALUE.id,
            GraphTensor.PRESENT_LATENT_KEY.id, GraphTensor.PRESENT_LATENT_VALUE.id, GraphTensor.LAST_LATENT.id);

    private final BltRollingShape shape;
    private final int maxPooledPatchBytes;
    private final long historyPad;

    /** Takes over {@code session}: closing the runner releases it. */
    public BltRollingRunner(SharedSession session, ModelManifest manifest, long tokenBudget) {
        super(session, manifest, tokenBudget, GraphIo.BLT_ROLLING_GRAPH);
        this.shape = manifest.bltRollingShape();
        this.maxPooledPatchBytes = manifest.maxPooledPatchBytes();
        this.historyPad = manifest.hashNgrams().padToken();
    }

    public BltRollingShape shape() {
        return shape;
    }

    /** The outputs of rolling windows, in input order, each with its stream's next cache. */
    public List<BltScorer.Outputs> score(List<BltStage.Window> windows) {
        for (int i = 0; i < windows.size(); i++) {
            BltStage.Window w = windows.get(i);
            if (w.rolling() == null) {
                throw new IllegalArgumentException("window " + i + " is not a rolling window");
            }
            tokens.check(w.tokens(), "window " + i);
            BltModelRunner.checkPatchLengths(w.tokens().length, w.patchStart(), maxPooledPatchBytes, "window " + i);
        }
        BltScorer.Outputs[] results = new BltScorer.Outputs[windows.size()];
        int[] lengths = windows.stream().mapToInt(w -> w.tokens().length).toArray();
        try {
            for (int[] batch : LengthBatches.split(lengths, tokenBudget)) {
                List<BltScorer.Outputs> out = runBatch(windows, batch);
                for (int b = 0; b < batch.length; b++) {
                    results[batch[b]] = out.get(b);
                }
            }
        } catch (OrtException e) {
            throw inferenceFailed(e);
        }
        return Arrays.asList(results);
    }

    private List<BltScorer.Outputs> runBatch(List<BltStage.Window> windows, int[] batch) throws OrtException {
        int rows = batch.length;
        int block = shape.queryBlock();
        int longest = Arrays.stream(batch).map(i -> windows.get(i).tokens().length).max().orElseThrow();
        int width = (longest + block - 1) / block * block;
        int patches = 1 + Arrays.stream(batch).map(i -> windows.get(i).patchStart().length).max().orElseThrow();
        int hist = shape.ngramHistory();
        int byteCache = shape.byteCacheFloats() / shape.byteLayers();     // one layer of one row
        int latentCache = shape.latentCacheFloats() / shape.latentLayers();
        long[] paddedTokens = new long[rows * width];
        long[] paddedStarts = new long[rows * patches];
        long[] bytePos = new long[rows];
        long[] patchPos = new long[rows];
        long[] lengths = new long[rows];
        long[] patchCounts = new long[rows];
        long[] byteCached = new long[rows];
        long[] patchCached = new long[rows];
        long[] history = new long[rows * hist];
        float[] byteKey = new float[rows * shape.byteCacheFloats()];
        float[] byteValue = new float[byteKey.length];
        float[] latentKey = new float[rows * shape.latentCacheFloats()];
        float[] latentValue = new float[latentKey.length];
        float[] prevLatent = new float[rows * shape.dLatent()];
        Arrays.fill(paddedTokens, tokens.pad());
        Arrays.fill(paddedStarts, width);
        Arrays.fill(history, historyPad);
        for (int r = 0; r < rows; r++) {
            BltStage.Window w = windows.get(batch[r]);
            BltStage.Rolling rolling = w.rolling();
            int n = w.tokens().length;
            int p = w.patchStart().length;
            System.arraycopy(w.tokens(), 0, paddedTokens, r * width, n);
            System.arraycopy(w.patchStart(), 0, paddedStarts, r * patches, p);
            paddedStarts[r * patches + p] = n; // padding, if any, is one patch after the real ones
            bytePos[r] = rolling.bytePos();
            patchPos[r] = rolling.patchPos();
            lengths[r] = n;
            patchCounts[r] = p;
            BltRollingCache cache = rolling.cache();
            if (cache != null) {
                byteCached[r] = cache.byteCached();
                patchCached[r] = cache.patchCached();
                System.arraycopy(cache.history(), 0, history, r * hist, hist);
                interleave(cache.byteKey(), byteKey, shape.byteLayers(), rows, r, byteCache);
                interleave(cache.byteValue(), byteValue, shape.byteLayers(), rows, r, byteCache);
                interleave(cache.latentKey(), latentKey, shape.latentLayers(), rows, r, latentCache);
                interleave(cache.latentValue(), latentValue, shape.latentLayers(), rows, r, latentCache);
                System.arraycopy(cache.lastLatent(), 0, prevLatent, r * shape.dLatent(), shape.dLatent());
            }
        }
        long[] byteShape = {shape.byteLayers(), rows, shape.localHeads(), shape.cachedBytes(), shape.localHeadDim()};
        long[] latentShape = {shape.latentLayers(), rows, shape.latentHeads(), shape.cachedPatches(), shape.latentHeadDim()};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(GraphTensor.TOKENS.id, Tensors.int64(paddedTokens, rows, width));
            inputs.put(GraphTensor.PATCH_START.id, Tensors.int64(paddedStarts, rows, patches));
            inputs.put(GraphTensor.BYTE_POS.id, Tensors.int64(bytePos));
            inputs.put(GraphTensor.PATCH_POS.id, Tensors.int64(patchPos));
            inputs.put(GraphTensor.LENGTHS.id, Tensors.int64(lengths));
            inputs.put(GraphTensor.PATCH_COUNTS.id, Tensors.int64(patchCounts));
            inputs.put(GraphTensor.BYTE_CACHED.id, Tensors.int64(byteCached));
            inputs.put(GraphTensor.PATCH_CACHED.id, Tensors.int64(patchCached));
            inputs.put(GraphTensor.HISTORY.id, Tensors.int64(history, rows, hist));
            inputs.put(GraphTensor.PAST_BYTE_KEY.id, Tensors.float32(byteKey, byteShape));
            inputs.put(GraphTensor.PAST_BYTE_VALUE.id, Tensors.float32(byteValue, byteShape));
            inputs.put(GraphTensor.PAST_LATENT_KEY.id, Tensors.float32(latentKey, latentShape));
            inputs.put(GraphTensor.PAST_LATENT_VALUE.id, Tensors.float32(latentValue, latentShape));
            inputs.put(GraphTensor.PREV_LATENT.id, Tensors.float32(prevLatent, rows, shape.dLatent()));
            try (OrtSession.Result result = session.run(inputs, OUTPUTS)) {
                return read(result, windows, batch, width, patches);
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private List<BltScorer.Outputs> read(OrtSession.Result result, List<BltStage.Window> windows, int[] batch, int width,
            int patches) {
        int rows = batch.length;
        Tensors.Floats embedding = Tensors.floats(result, GraphTensor.PATCH_EMBEDDING.id, rows, patches);
        Tensors.Floats logprob = Tensors.floats(result, GraphTensor.NEXT_LOGPROB.id, rows, width);
        Tensors.Floats endLogprobs = Tensors.floats(result, GraphTensor.PATCH_END_LOGPROBS.id, rows, patches);
        Tensors.Floats byteKey = Tensors.floats(result, GraphTensor.PRESENT_BYTE_KEY.id, shape.byteLayers(), rows);
        Tensors.Floats byteValue = Tensors.floats(result, GraphTensor.PRESENT_BYTE_VALUE.id, shape.byteLayers(), rows);
        Tensors.Floats latentKey = Tensors.floats(result, GraphTensor.PRESENT_LATENT_KEY.id, shape.latentLayers(), rows);
        Tensors.Floats latentValue = Tensors.floats(result, GraphTensor.PRESENT_LATENT_VALUE.id, shape.latentLayers(), rows);
        Tensors.Floats lastLatent = Tensors.floats(result, GraphTensor.LAST_LATENT.id, rows);
        int d = embedding.dim(2);
        int vocab = endLogprobs.dim(2);
        int hist = shape.ngramHistory();
        int byteCache = shape.byteCacheFloats() / shape.byteLayers();
        int latentCache = shape.latentCacheFloats() / shape.latentLayers();
        List<BltScorer.Outputs> out = new java.util.ArrayList<>(rows);
        for (int r = 0; r < rows; r++) {
            BltStage.Window w = windows.get(batch[r]);
            BltRollingCache before = w.rolling().cache();
            int n = w.tokens().length;
            int p = w.patchStart().length;
            float[] nextLogprob = logprob.slice(r * width, n);
            nextLogprob[n - 1] = 0f; // no next token in this window: the next window's first byte reads the cache
            float[][] ends = endLogprobs.slices(r * patches * vocab, p, vocab);
            long[] nextHistory = new long[hist];
            long[] earlier = before == null ? null : before.history();
            for (int i = 0; i < hist; i++) { // the last hist tokens of (history, window)
                int from = n - hist + i;
                nextHistory[i] = from >= 0 ? w.tokens()[from] : earlier == null ? historyPad : earlier[hist + from];
            }
            BltRollingCache next = new BltRollingCache(w.rolling().owner(), w.end(),
                    (int) Math.min(shape.cachedBytes(), (before == null ? 0 : before.byteCached()) + (long) n),
                    (int) Math.min(shape.cachedPatches(), (before == null ? 0 : before.patchCached()) + (long) p),
                    nextHistory,
                    gather(byteKey.data(), shape.byteLayers(), rows, r, byteCache),
                    gather(byteValue.data(), shape.byteLayers(), rows, r, byteCache),
                    gather(latentKey.data(), shape.latentLayers(), rows, r, latentCache),
                    gather(latentValue.data(), shape.latentLayers(), rows, r, latentCache),
                    lastLatent.slice(r * shape.dLatent(), shape.dLatent()), ends[p - 1]);
            out.add(new BltScorer.Outputs(embedding.slices(r * patches * d, p, d), nextLogprob, ends, next));
        }
        return out;
    }

    /** Copies one row's cache [layers][per] into the batch tensor [layers][rows][per]. */
    private static void interleave(float[] row, float[] batch, int layers, int rows, int r, int per) {
        for (int l = 0; l < layers; l++) {
            System.arraycopy(row, l * per, batch, (l * rows + r) * per, per);
        }
    }

    /** One row's cache [layers][per] out of the batch tensor [layers][rows][per]. */
    private static float[] gather(float[] batch, int layers, int rows, int r, int per) {
        float[] row = new float[layers * per];
        for (int l = 0; l < layers; l++) {
            System.arraycopy(batch, (l * rows + r) * per, row, l * per, per);
        }
        return row;
    }
}

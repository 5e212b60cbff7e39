package dev.blt.patching;

import java.util.List;

/**
 * The rolling graph of a sliding-window entropy model: scores the next tokens of many streams in
 * one batched call, each after the window in its {@link RollingCache}, and rolls the caches on.
 *
 * <p>The graph runs queries in blocks aligned to absolute positions, each over the keys up to its
 * block's end ({@link RollingWindow#keySpan}: W + block once a stream is past its first W
 * positions), so a row is a matrix product of at least one block of rows, never one
 * (with ONNX Runtime on CPU a one-row product takes another kernel and rounds differently; see
 * {@link StepScorer}), and a byte's bits do not depend on the call it came in.
 */
public interface RollingScorer {

    /**
     * The next tokens of one stream.
     *
     * @param start          position of tokens[0] (BOS is position 0, byte i is position i + 1):
     *                       the cache's {@link RollingCache#end()}
     * @param tokens         1 to {@link RollingWindow#maxCallTokens()}
     * @param logprobOfFirst log p of tokens[0] after the positions before it (the cache's last
     *                       distribution), NaN when the cache had run nothing
     */
    record Call(long start, long[] tokens, RollingCache cache, float logprobOfFirst) {
    }

    /**
     * Runs the calls (of different streams) and updates their caches.
     *
     * @return per call: the entropy after each token and log p of the token after it (0 after the last)
     */
    List<EntropyScorer.Scores> score(List<Call> calls);

    /** The cache shape of the graph, from the manifest. */
    RollingWindow window();
}

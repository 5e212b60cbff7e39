package dev.blt.patching;

import java.util.List;

/**
 * The rolling graph of a sliding-window entropy model: scores the next tokens of many streams in
 * one batched call, each continuing its {@link RollingCache}, and rolls the caches on.
 *
 * <p>A call for a stream whose cache has run anything starts with the cache's last token again:
 * its keys and values come out bit for bit as before, it scores the first new token, and a stream
 * never sends fewer than two tokens (with ONNX Runtime on CPU a one-row matrix product takes another
 * kernel and rounds differently; see {@link StepScorer}).
 */
public interface RollingScorer {

    /**
     * The next tokens of one stream.
     *
     * @param start  position of tokens[0] (BOS is position 0, byte i is position i + 1)
     * @param tokens at most {@link RollingWindow#maxCallTokens()}; two at least
     * @param cache  the stream's cache: it has run exactly the positions before {@code start + 1}
     *               when it has run any, else {@code start} is its first position
     */
    record Call(long start, long[] tokens, RollingCache cache) {
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

package dev.blt.patching;

/**
 * The incremental entropy graph: scores tokens that continue a window whose earlier positions are
 * in a {@link WindowCache}, and extends the cache with them.
 *
 * <p>Implementations must give the bits of one pass over the whole window. With ONNX Runtime on
 * CPU that holds when every call carries at least two tokens (a one-row matrix product takes
 * another kernel and rounds differently), so a lone new token is run together with the cached
 * position before it.
 */
public interface StepScorer {

    /**
     * @param tokens the window's tokens after the cached positions; at least one, and the cache must
     *               hold at least one position when there is only one
     * @return per new token: the entropy of what follows it, and log p of the next new token (0 after
     *     the last); the cache then covers them and holds the log-distribution after the last
     */
    EntropyScorer.Scores step(long[] tokens, WindowCache cache);
}

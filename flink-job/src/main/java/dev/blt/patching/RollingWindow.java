package dev.blt.patching;

/**
 * The shape of a sliding-window entropy model's rolling cache (docs/DESIGN.md, "Rolling cache"),
 * from the manifest: every layer attends to the last {@code window} positions, so the output at a
 * position depends on the {@code layers * (window - 1)} positions before it and nothing earlier.
 *
 * @param window        W: positions each layer sees, itself included
 * @param layers        L: attention layers
 * @param queryBlock    queries per block of the graph, aligned to absolute positions; a call's
 *                      rows are padded to a multiple of it
 * @param maxCallTokens tokens of one stream per call; a longer stretch takes several calls
 */
public record RollingWindow(int window, int layers, int queryBlock, int maxCallTokens) {

    public RollingWindow {
        if (window < 2 || layers < 1 || Integer.bitCount(queryBlock) != 1 || maxCallTokens < queryBlock) {
            throw new IllegalArgumentException("a rolling cache needs W >= 2, L >= 1, a power-of-two query block and "
                    + "calls of at least one block, got W=" + window + " L=" + layers + " query block=" + queryBlock
                    + " max call tokens=" + maxCallTokens);
        }
    }

    /** Positions a stream's cache keeps: the window before its next position. */
    public int cachedPositions() {
        return window;
    }

    /** Positions before a position that its output depends on: what a rebuilt cache must run again. */
    public int receptiveField() {
        return layers * (window - 1);
    }

    /**
     * Where a call that starts at {@code start} stops, at most {@code available}: at a block boundary
     * when the call is cut short, so that the next call of a long stream starts on one and pads
     * nothing (a call of at least one block always reaches one). A block that starts before W goes
     * alone: it has a key span of its own ({@link #keySpan}).
     */
    public long callEnd(long start, long available) {
        long base = blockBase(start);
        long end = base < window ? base + queryBlock : start + maxCallTokens;
        return available <= end ? available : end - Math.floorMod(end, queryBlock);
    }

    /**
     * Keys each query block of a call from {@code start} attends over: the W + block positions up to
     * its block's end in a stream's steady state, and in its first W positions those that exist
     * (min(base, W) + block). One call has one span, so that a byte's bits never depend on the call.
     */
    public long keySpan(long start) {
        return Math.min(blockBase(start), window) + queryBlock;
    }

    private long blockBase(long position) {
        return position - Math.floorMod(position, queryBlock);
    }
}

package dev.blt.patching;

/**
 * The attention keys and values of a stream's open block window, kept beside its
 * {@link StreamPatcher} so that bytes arriving later in the same block are scored by the
 * incremental graph without running the window again: a block then costs C + B token passes
 * however its bytes arrive, as a 64 KB chunk does.
 *
 * <p>Transient: never in a snapshot. After a restore, or when the operator evicted the patcher to
 * bound memory, the next call rebuilds it from the C + B bytes in state. The incremental graph gives
 * the same bits as one pass over the window (both run every step with at least two tokens; see
 * {@link StepScorer}), so the patches do not depend on whether the cache was there.
 *
 * <p>The layout of the arrays belongs to the {@link StepScorer} that fills them.
 */
public final class WindowCache {

    private final long blockStart;
    private long end;            // stream position after the last byte the cached positions cover
    private int positions;       // window positions (tokens) cached
    private long lastToken;
    private float[] keys = new float[0];
    private float[] values = new float[0];
    private float[] lastLogp;    // log-distribution after the last cached position

    public WindowCache(long blockStart) {
        this.blockStart = blockStart;
    }

    public long blockStart() {
        return blockStart;
    }

    long end() {
        return end;
    }

    void setEnd(long end) {
        this.end = end;
    }

    public int positions() {
        return positions;
    }

    public long lastToken() {
        return lastToken;
    }

    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    public float[] lastLogp() {
        return lastLogp;
    }

    /** Replaces the cached positions with {@code positions} positions ending in {@code lastToken}. */
    public void update(int positions, long lastToken, float[] keys, float[] values, float[] lastLogp) {
        this.positions = positions;
        this.lastToken = lastToken;
        this.keys = keys;
        this.values = values;
        this.lastLogp = lastLogp;
    }

    /** Heap held, for memory bounds. */
    public long bytes() {
        return 4L * (keys.length + values.length + (lastLogp == null ? 0 : lastLogp.length)) + 64;
    }
}

package dev.blt.patching;

/**
 * What a stream's next call to the rolling graph continues from: the attention keys and values of
 * (at most) the W positions before it, in every layer, and the log-distribution after the last
 * position run, which scores the next call's first byte (see {@link RollingScorer}). Beside its
 * {@link StreamPatcher}, so that each byte costs one position of the model however the stream arrives.
 *
 * <p>Transient: never in a snapshot. After a restore, or when the operator evicted the patcher to
 * bound memory, the patcher starts a new cache {@link RollingWindow#receptiveField()} positions back
 * and runs those bytes from state again; every position after them then comes out with the same
 * bits as if the cache had been there (the graph lays keys out by absolute position).
 *
 * <p>The layout of the arrays belongs to the {@link RollingScorer} that fills them.
 */
public final class RollingCache {

    private final long validFrom;   // first position run into this cache
    private long end;               // positions [validFrom, end) have been run
    private int positions;          // keys cached: positions [end - positions, end)
    private float[] keys = new float[0];
    private float[] values = new float[0];
    private float[] lastLogp;       // log-distribution after position end - 1; null before any

    public RollingCache(long validFrom) {
        this.validFrom = validFrom;
        this.end = validFrom;
    }

    /** The first position this cache ran; keys before it are absent, not zero. */
    public long validFrom() {
        return validFrom;
    }

    /** One past the last position run: where the next call starts. */
    public long end() {
        return end;
    }

    /** Positions whose keys and values are held, the last ones before {@link #end()}. */
    public int positions() {
        return positions;
    }

    public float[] keys() {
        return keys;
    }

    public float[] values() {
        return values;
    }

    /** log p of {@code token} at position {@link #end()}, or NaN before anything was run. */
    public float logprobOfNext(long token) {
        return lastLogp == null ? Float.NaN : lastLogp[(int) token];
    }

    /** After a call that ran up to {@code end}. */
    public void update(long end, int positions, float[] keys, float[] values, float[] lastLogp) {
        this.end = end;
        this.positions = positions;
        this.keys = keys;
        this.values = values;
        this.lastLogp = lastLogp;
    }

    /** Heap held, for memory bounds. */
    public long bytes() {
        return 4L * (keys.length + values.length + (lastLogp == null ? 0 : lastLogp.length)) + 64;
    }
}

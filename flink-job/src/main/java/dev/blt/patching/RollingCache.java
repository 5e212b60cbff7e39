package dev.blt.patching;

/**
 * The attention keys and values a stream's next call to the rolling graph continues from: the
 * (at most W - 1) positions before the last position run, in every layer, and that last token,
 * which the next call runs again (see {@link RollingScorer}). Beside its {@link StreamPatcher}, so
 * that each byte costs one position of the model however the stream arrives.
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
    private int positions;          // keys cached: positions [end - 1 - positions, end - 1)
    private long lastToken;
    private float[] keys = new float[0];
    private float[] values = new float[0];

    public RollingCache(long validFrom) {
        this.validFrom = validFrom;
        this.end = validFrom;
    }

    /** The first position this cache ran; keys before it are absent, not zero. */
    public long validFrom() {
        return validFrom;
    }

    /** One past the last position run. */
    public long end() {
        return end;
    }

    /** Keys and values held, each for the positions before the last one. */
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

    /** After a call that ran up to {@code end}: the new window, ending in {@code lastToken}. */
    public void update(long end, int positions, long lastToken, float[] keys, float[] values) {
        this.end = end;
        this.positions = positions;
        this.lastToken = lastToken;
        this.keys = keys;
        this.values = values;
    }

    /** Heap held, for memory bounds. */
    public long bytes() {
        return 4L * (keys.length + values.length) + 64;
    }
}

package dev.blt.patching;

/**
 * The shape of a sliding-window entropy model's rolling cache (docs/DESIGN.md, "Rolling cache"),
 * from the manifest: every layer attends to the last {@code window} positions, so the output at a
 * position depends on the {@code layers * (window - 1)} positions before it and nothing earlier.
 *
 * @param window  W: positions each layer sees, itself included
 * @param layers  L: attention layers
 * @param ringSlots R: slots of the graph's key ring, a power of two of at least 2W
 */
public record RollingWindow(int window, int layers, int ringSlots) {

    public RollingWindow {
        if (window < 2 || layers < 1 || Integer.bitCount(ringSlots) != 1 || ringSlots < 2 * window) {
            throw new IllegalArgumentException("a rolling cache needs W >= 2, L >= 1 and a power-of-two ring of "
                    + "at least 2W slots, got W=" + window + " L=" + layers + " R=" + ringSlots);
        }
    }

    /** Positions a stream's cache keeps: the window before its last token, whose keys each call recomputes. */
    public int cachedPositions() {
        return window - 1;
    }

    /** Tokens one call may carry for one stream: the cached positions and these fill the ring. */
    public int maxCallTokens() {
        return ringSlots - cachedPositions();
    }

    /** Positions before a position that its output depends on: what a rebuilt cache must run again. */
    public int receptiveField() {
        return layers * (window - 1);
    }
}

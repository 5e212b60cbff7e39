package dev.blt.patching;

/**
 * Everything the patcher core needs, all of it read from the model manifest.
 *
 * @param contextBytes    C: bytes of context before each block
 * @param blockBytes      B: block size at absolute offsets
 * @param recordSeparator the byte that follows each record in the context of the next (see
 *                        {@link StreamPatcher#endRecord})
 * @param rolling         the rolling cache of a sliding-window entropy model, which then replaces
 *                        the aligned blocks; null for a model that streams in aligned blocks
 */
public record PatcherSettings(PatchingRule rule, int contextBytes, int blockBytes, int bosToken, int byteOffset,
                              byte recordSeparator, RollingWindow rolling) {

    /** Settings of a model that streams in aligned blocks. */
    public PatcherSettings(PatchingRule rule, int contextBytes, int blockBytes, int bosToken, int byteOffset,
                           byte recordSeparator) {
        this(rule, contextBytes, blockBytes, bosToken, byteOffset, recordSeparator, null);
    }

    public PatcherSettings {
        if (contextBytes < 1 || blockBytes < 1) {
            throw new IllegalArgumentException("entropy windows must be positive, got C=" + contextBytes + " B=" + blockBytes);
        }
    }

    /** The entropy windows: blocks of B bytes, each scored after C bytes of context. */
    public AlignedBlocks blocks() {
        return new AlignedBlocks(contextBytes, blockBytes);
    }

    /** Longest token window one scoring call can carry: BOS + C + B. */
    public int maxWindowTokens() {
        return 1 + contextBytes + blockBytes;
    }
}

package dev.blt.bltstage;

/**
 * The windows and cache shapes of a sliding-window BLT (manifest {@code models.blt_rolling}; see
 * docs/DESIGN.md, "Rolling BLT stage"). The local encoder's and decoder's layers attend to the last
 * {@code byteWindow} bytes, the latent transformer's to the last {@code patchWindow} patches, so a
 * patch's outputs depend on a bounded stretch before it, and a stream's next patches are scored from
 * caches of the keys and values of the positions just before them.
 *
 * @param queryBlock    byte queries per block of the graph: a call's rows are padded to a multiple of it
 * @param maxCallTokens tokens of one stream per call (at least one whole patch); more take several calls
 * @param ngramHistory  tokens before a call that its hashed n-grams read (the longest n-gram minus one)
 */
public record BltRollingShape(int byteWindow, int patchWindow, int encoderLayers, int decoderLayers, int latentLayers,
                              int localHeads, int localHeadDim, int latentHeads, int latentHeadDim, int dLatent,
                              int queryBlock, int maxCallTokens, int ngramHistory) {

    public BltRollingShape {
        if (byteWindow < 2 || patchWindow < 2 || encoderLayers < 1 || decoderLayers < 1 || latentLayers < 1
                || queryBlock < 1 || maxCallTokens < queryBlock || ngramHistory < 0) {
            throw new IllegalArgumentException("a rolling BLT needs windows of at least 2, a layer of each kind and "
                    + "calls of at least one query block, got byte window " + byteWindow + ", patch window " + patchWindow
                    + ", layers " + encoderLayers + "/" + latentLayers + "/" + decoderLayers + ", query block "
                    + queryBlock + ", max call tokens " + maxCallTokens);
        }
    }

    /** Byte positions a stream's cache holds: the window before its next byte. */
    public int cachedBytes() {
        return byteWindow - 1;
    }

    /** Patches a stream's cache holds. */
    public int cachedPatches() {
        return patchWindow - 1;
    }

    /** Byte attention layers: the encoder's, then the decoder's (the order of the cache tensors). */
    public int byteLayers() {
        return encoderLayers + decoderLayers;
    }

    /** Floats of one stream's cached byte keys (as many again for the values): [layers][heads][positions][dim]. */
    public int byteCacheFloats() {
        return byteLayers() * localHeads * cachedBytes() * localHeadDim;
    }

    /** Floats of one stream's cached latent keys (as many again for the values). */
    public int latentCacheFloats() {
        return latentLayers * latentHeads * cachedPatches() * latentHeadDim;
    }

    /** Heap of one stream's cache: keys and values, the last latent and the last next-byte distribution. */
    public long cacheBytes(int vocabSize) {
        return 4L * (2L * byteCacheFloats() + 2L * latentCacheFloats() + dLatent + vocabSize);
    }

    /**
     * Bytes before the next byte whose decoder inputs its prediction reads: the decoder's layers
     * reach back (byteWindow - 1) each, and the next patch's first byte is predicted at the byte
     * before it.
     */
    public int decoderReach() {
        return 1 + decoderLayers * (byteWindow - 1);
    }

    /** Patches before a patch whose pooled bytes its latent state reads. */
    public int latentReach() {
        return latentLayers * (patchWindow - 1);
    }

    /** Bytes before a byte whose tokens its encoder state reads: attention, then the hashed n-grams. */
    public int encoderReach() {
        return encoderLayers * (byteWindow - 1) + ngramHistory;
    }
}

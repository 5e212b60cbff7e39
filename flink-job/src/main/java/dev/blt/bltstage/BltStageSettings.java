package dev.blt.bltstage;

import dev.blt.patching.AlignedBlocks;

/**
 * The BLT stage's windows, from the manifest: every output of patch p in block k = p / blockPatches
 * comes from one pass over the contextPatches patches before the block start, then the block's
 * patches up to p (BOS first when the window reaches the start of the document).
 */
public record BltStageSettings(int contextPatches, int blockPatches, int bosToken, int byteOffset, byte recordSeparator) {

    public BltStageSettings {
        if (contextPatches < 1 || blockPatches < 1) {
            throw new IllegalArgumentException("BLT windows must be positive, got context=" + contextPatches
                    + " block=" + blockPatches);
        }
    }

    /** The patcher's aligned blocks, over patch indices. */
    public AlignedBlocks blocks() {
        return new AlignedBlocks(contextPatches, blockPatches);
    }
}

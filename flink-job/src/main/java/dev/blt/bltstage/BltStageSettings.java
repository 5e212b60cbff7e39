package dev.blt.bltstage;

import dev.blt.patching.AlignedBlocks;

/**
 * The BLT stage's windows, from the manifest. Aligned blocks: every output of patch p in block
 * k = p / blockPatches comes from one pass over the contextPatches patches before the block start,
 * then the block's patches up to p (BOS first when the window reaches the start of the document).
 * A sliding-window BLT ({@code rolling} not null) runs from rolling caches instead, and the block
 * sizes only bound its calls' outputs (docs/DESIGN.md, "Rolling BLT stage").
 */
public record BltStageSettings(int contextPatches, int blockPatches, int bosToken, int byteOffset, byte recordSeparator,
                               BltRollingShape rolling) {

    public BltStageSettings {
        if (contextPatches < 1 || blockPatches < 1) {
            throw new IllegalArgumentException("BLT windows must be positive, got context=" + contextPatches
                    + " block=" + blockPatches);
        }
    }

    /** Aligned blocks only. */
    public BltStageSettings(int contextPatches, int blockPatches, int bosToken, int byteOffset, byte recordSeparator) {
        this(contextPatches, blockPatches, bosToken, byteOffset, recordSeparator, null);
    }

    /** The patcher's aligned blocks, over patch indices. */
    public AlignedBlocks blocks() {
        return new AlignedBlocks(contextPatches, blockPatches);
    }
}

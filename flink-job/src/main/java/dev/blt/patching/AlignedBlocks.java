package dev.blt.patching;

/**
 * The aligned-block scheme that makes outputs independent of how the input arrived
 * (docs/DESIGN.md, "Streaming invariant"). The patcher applies it to bytes, the BLT stage to
 * patches: position t lies in block t / size, and every output in that block comes from one causal
 * pass over the {@code context} positions before the block's start, then the block up to t, with BOS
 * first when the pass starts the stream. A pass depends only on absolute positions, so the same
 * outputs come out whether a block arrived whole or one position at a time.
 *
 * @param context positions of context before each block (C)
 * @param size    positions per block (B)
 */
public record AlignedBlocks(int context, int size) {

    public AlignedBlocks {
        if (context < 1 || size < 1) {
            throw new IllegalArgumentException("aligned blocks need a positive context and size, got C="
                    + context + " B=" + size);
        }
    }

    /** One pass: positions [contextStart, end) for the block starting at start. */
    public record Pass(long start, long contextStart, boolean bos, long end) {
    }

    public long blockOf(long position) {
        return position / size;
    }

    public long startOf(long block) {
        return block * size;
    }

    /** The pass of a block over the positions that have arrived (fewer than size when it is open). */
    public Pass pass(long block, long arrived) {
        long start = startOf(block);
        long contextStart = Math.max(0, start - context);
        return new Pass(start, contextStart, start <= context, Math.min(arrived, start + size));
    }

    /** The first position a pass still to run can read, when the passes before position done have run. */
    public long keepFrom(long done) {
        return Math.max(0, startOf(blockOf(done)) - context);
    }
}

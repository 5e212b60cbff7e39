package dev.blt.model;

/**
 * One row for the BLT graph: tokens and the first position of each patch.
 *
 * @param tokens token ids [T], T >= 1
 * @param patchStart first position of each patch [P]: the first is 0, strictly ascending, all < T
 *     (every patch holds at least one token)
 */
public record BltCall(long[] tokens, long[] patchStart) {

    public BltCall {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a BLT call needs at least one token");
        }
        if (patchStart.length == 0 || patchStart[0] != 0) {
            throw new IllegalArgumentException("patch_start must begin with 0 (the first token starts a patch)");
        }
        for (int p = 1; p < patchStart.length; p++) {
            if (patchStart[p] <= patchStart[p - 1]) {
                throw new IllegalArgumentException("patch_start must be strictly ascending, but patch " + p
                        + " starts at " + patchStart[p] + " after " + patchStart[p - 1]);
            }
        }
        if (patchStart[patchStart.length - 1] >= tokens.length) {
            throw new IllegalArgumentException("the last patch starts at " + patchStart[patchStart.length - 1]
                    + ", beyond the " + tokens.length + " tokens");
        }
    }
}

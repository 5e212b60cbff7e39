package dev.blt.patching;

/**
 * BLT's patching rule (docs/DESIGN.md, "Patching rule"): byte t begins a new patch iff it is the first
 * byte of the document, or H_t > theta, or (optional) H_t - H_{t-1} > thetaMonotonic, or the open
 * patch already holds maxPatchLength bytes. Entropy rules take precedence over the length cut when
 * both apply, as in the Python reference.
 *
 * @param thetaMonotonic NaN when the monotonic rule is off
 */
public record PatchingRule(double theta, double thetaMonotonic, int maxPatchLength) {

    public PatchingRule {
        if (!Double.isFinite(theta)) {
            throw new IllegalArgumentException("theta must be finite, got " + theta);
        }
        if (maxPatchLength < 1) {
            throw new IllegalArgumentException("max_patch_length must be >= 1, got " + maxPatchLength);
        }
    }

    /**
     * Whether a byte with entropy {@code entropy} (previous byte {@code previousEntropy}, NaN if
     * none) starts a new patch after an open patch of {@code openLength} bytes; null if it does not.
     */
    public CloseReason startsNewPatch(float entropy, float previousEntropy, int openLength) {
        if (openLength == 0) {
            return null;
        }
        if (entropy > theta) {
            return CloseReason.ENTROPY;
        }
        if (!Double.isNaN(thetaMonotonic) && !Float.isNaN(previousEntropy)
                && (double) entropy - (double) previousEntropy > thetaMonotonic) {
            return CloseReason.MONOTONIC;
        }
        return openLength >= maxPatchLength ? CloseReason.MAX_LENGTH : null;
    }
}

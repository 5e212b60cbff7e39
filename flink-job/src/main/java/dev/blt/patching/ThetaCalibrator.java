package dev.blt.patching;

import java.util.List;

/**
 * Finds the theta whose average patch size over a corpus is closest to a target. BLT never
 * shipped this; its 1.3354-nat default fits only its own 100M model. Average patch size grows with
 * theta, so bisection finds it; the same algorithm as model-export's calibrate_theta.
 */
public final class ThetaCalibrator {

    private static final int ITERATIONS = 50;

    private ThetaCalibrator() {
    }

    /** Result: the theta and the average patch size it gives on the corpus. */
    public record Calibration(double theta, double averagePatchSize, long bytes, long patches) {
    }

    /** @param documents per-document entropies H_t (nats) */
    public static Calibration calibrate(List<float[]> documents, double targetAveragePatchSize,
                                        double thetaMonotonic, int maxPatchLength) {
        long bytes = documents.stream().mapToLong(d -> d.length).sum();
        if (bytes == 0) {
            throw new IllegalArgumentException("calibration needs at least one byte of input");
        }
        if (!(targetAveragePatchSize >= 1)) {
            throw new IllegalArgumentException("target average patch size must be >= 1, got " + targetAveragePatchSize);
        }
        double hi = 1e-3;
        for (float[] d : documents) {
            for (float h : d) {
                hi = Math.max(hi, h + 1e-3);
            }
        }
        double lo = 0;
        if (average(documents, hi, thetaMonotonic, maxPatchLength, bytes) < targetAveragePatchSize) {
            throw new IllegalArgumentException(String.format(
                    "target %.3f is above the largest reachable average patch size %.3f (max_patch_length=%d)",
                    targetAveragePatchSize, average(documents, hi, thetaMonotonic, maxPatchLength, bytes), maxPatchLength));
        }
        for (int i = 0; i < ITERATIONS; i++) {
            double mid = (lo + hi) / 2;
            if (average(documents, mid, thetaMonotonic, maxPatchLength, bytes) < targetAveragePatchSize) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double avgHi = average(documents, hi, thetaMonotonic, maxPatchLength, bytes);
        double avgLo = average(documents, lo, thetaMonotonic, maxPatchLength, bytes);
        boolean pickHi = Math.abs(avgHi - targetAveragePatchSize) <= Math.abs(avgLo - targetAveragePatchSize);
        double theta = pickHi ? hi : lo;
        long patches = countPatches(documents, new PatchingRule(theta, thetaMonotonic, maxPatchLength));
        return new Calibration(theta, (double) bytes / patches, bytes, patches);
    }

    private static double average(List<float[]> documents, double theta, double thetaMonotonic, int maxPatchLength,
                                  long bytes) {
        return (double) bytes / countPatches(documents, new PatchingRule(theta, thetaMonotonic, maxPatchLength));
    }

    /** Patches the rule cuts in the documents, each document starting a patch at its first byte. */
    public static long countPatches(List<float[]> documents, PatchingRule rule) {
        long patches = 0;
        for (float[] d : documents) {
            int open = 0;
            float previous = Float.NaN;
            for (float h : d) {
                if (open == 0 || rule.startsNewPatch(h, previous, open) != null) {
                    patches++;
                    open = 0;
                }
                open++;
                previous = h;
            }
        }
        return patches;
    }
}

package dev.blt.testing;

import dev.blt.bltstage.PatchOutputs;
import java.util.List;

/** The record embedding as the tests expect it, computed the plain way from a whole record's patches. */
public final class RecordVectors {

    private RecordVectors() {
    }

    /** The float mean of the patch embeddings, scaled to unit length; empty without patches. */
    public static float[] unitMean(List<PatchOutputs> encoded) {
        float[] mean = null;
        for (PatchOutputs e : encoded) {
            if (mean == null) {
                mean = new float[e.embedding().length];
            }
            for (int i = 0; i < mean.length; i++) {
                mean[i] += e.embedding()[i] / encoded.size();
            }
        }
        if (mean == null) {
            return new float[0];
        }
        double norm = 0;
        for (float x : mean) {
            norm += x * x;
        }
        for (int i = 0; i < mean.length; i++) {
            mean[i] = (float) (mean[i] / Math.sqrt(norm));
        }
        return mean;
    }
}

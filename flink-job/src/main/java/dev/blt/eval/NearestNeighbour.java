package dev.blt.eval;

import dev.blt.bltstage.RecordEmbedding;
import java.util.List;

/** Leave-one-out nearest neighbour by cosine similarity, scored against ground-truth labels. */
public final class NearestNeighbour {

    private NearestNeighbour() {
    }

    /** Fraction of vectors whose nearest other vector carries the same label. */
    public static double sameLabelRate(List<float[]> vectors, List<String> labels) {
        int n = vectors.size();
        float[][] unit = new float[n][];
        for (int i = 0; i < n; i++) {
            unit[i] = normalise(vectors.get(i));
        }
        int hits = 0;
        for (int i = 0; i < n; i++) {
            double best = Double.NEGATIVE_INFINITY;
            int bestIndex = -1;
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double dot = 0;
                for (int k = 0; k < unit[i].length; k++) {
                    dot += unit[i][k] * unit[j][k];
                }
                if (dot > best) {
                    best = dot;
                    bestIndex = j;
                }
            }
            if (bestIndex >= 0 && labels.get(bestIndex).equals(labels.get(i))) {
                hits++;
            }
        }
        return n < 2 ? 0 : (double) hits / n;
    }

    static float[] normalise(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return RecordEmbedding.unit(d);
    }

    /** Baseline: the normalised histogram of byte values. */
    public static float[] byteHistogram(byte[] line) {
        float[] h = new float[256];
        for (byte b : line) {
            h[b & 0xFF] += 1f / Math.max(1, line.length);
        }
        return h;
    }
}

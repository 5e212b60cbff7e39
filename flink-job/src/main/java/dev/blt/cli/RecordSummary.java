package dev.blt.cli;

import dev.blt.encoding.EncodedPatch;
import java.util.ArrayList;
import java.util.List;

/**
 * One record of {@code blt embed --per-record}, accumulated patch by patch: bytes, patches, bits
 * per byte under BLT and the mean patch embedding. The mean is the float sum of embedding / count
 * that the command has always printed, which needs the count first, so the embeddings of the
 * first {@link #EXACT_PATCHES} patches are kept; a longer record switches to a running double sum
 * (the same mean to float precision, within a unit of the last printed digit), so memory stays
 * bounded however long the record.
 */
final class RecordSummary {

    /** Patches whose embeddings are kept for the exact mean (about 18 KB of text). */
    static final int EXACT_PATCHES = 4096;

    private long bytes;
    private long patches;
    private double bits;
    private final List<float[]> embeddings = new ArrayList<>();
    private double[] sum;       // once past EXACT_PATCHES

    void add(int length, EncodedPatch patch) {
        bytes += length;
        patches++;
        bits += patch.bitsPerByte() * length;
        float[] e = patch.embedding();
        if (sum == null && embeddings.size() < EXACT_PATCHES) {
            embeddings.add(e);
            return;
        }
        if (sum == null) {
            sum = new double[e.length];
            embeddings.forEach(this::addToSum);
            embeddings.clear();
        }
        addToSum(e);
    }

    private void addToSum(float[] e) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += e[i];
        }
    }

    long bytes() {
        return bytes;
    }

    long patches() {
        return patches;
    }

    double bitsPerByte() {
        return bytes == 0 ? 0 : bits / bytes;
    }

    /** The mean embedding; empty for a record without patches. */
    float[] meanEmbedding() {
        if (sum != null) {
            float[] mean = new float[sum.length];
            for (int i = 0; i < mean.length; i++) {
                mean[i] = (float) (sum[i] / patches);
            }
            return mean;
        }
        if (embeddings.isEmpty()) {
            return new float[0];
        }
        float[] mean = new float[embeddings.get(0).length];
        int n = embeddings.size();
        for (float[] e : embeddings) {
            for (int i = 0; i < mean.length; i++) {
                mean[i] += e[i] / n;
            }
        }
        return mean;
    }
}

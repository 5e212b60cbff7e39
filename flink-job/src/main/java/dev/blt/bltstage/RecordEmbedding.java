package dev.blt.bltstage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The vector users index per record: the mean of the record's patch embeddings, L2-normalised.
 * Cosine similarity is then a dot product, and the distance 1 - cos lies in [0, 2]. It accumulates
 * patch by patch in a double sum, so it is the same whatever bundles the patches arrived in, and
 * its state (d doubles) does not grow with the record.
 */
public final class RecordEmbedding {

    private double[] sum;
    private long patches;

    public void add(float[] patchEmbedding) {
        if (sum == null) {
            sum = new double[patchEmbedding.length];
        } else if (sum.length != patchEmbedding.length) {
            throw new IllegalArgumentException("patch embedding of dimension " + patchEmbedding.length
                    + " added to a record embedding of dimension " + sum.length);
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += patchEmbedding[i];
        }
        patches++;
    }

    public long patches() {
        return patches;
    }

    /** The unit vector (empty for a record without patches; all zeros if the mean is zero). */
    public float[] vector() {
        if (sum == null) {
            return new float[0];
        }
        return unit(sum);
    }

    /** v / |v| as floats; zeros stay zeros. */
    public static float[] unit(double[] v) {
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = norm == 0 ? 0f : (float) (v[i] / norm);
        }
        return out;
    }

    public void writeTo(DataOutputStream out) throws IOException {
        out.writeLong(patches);
        out.writeInt(sum == null ? 0 : sum.length);
        if (sum != null) {
            for (double x : sum) {
                out.writeDouble(x);
            }
        }
    }

    public static RecordEmbedding readFrom(DataInputStream in) throws IOException {
        RecordEmbedding e = new RecordEmbedding();
        e.patches = in.readLong();
        int dim = in.readInt();
        if (dim < 0 || (long) dim * Double.BYTES > in.available()) {
            throw new IOException("corrupt record embedding state: dimension " + dim + " with " + in.available() + " bytes left");
        }
        if (dim > 0) {
            e.sum = new double[dim];
            for (int i = 0; i < dim; i++) {
                e.sum[i] = in.readDouble();
            }
        }
        return e;
    }
}

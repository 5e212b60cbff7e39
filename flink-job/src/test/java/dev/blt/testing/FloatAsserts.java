package dev.blt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Float comparison that names the first differing element by its indices, so that a failure says
 * where the graphs part ways (padding position, patch, vocabulary entry) and not only that they do.
 */
public final class FloatAsserts {

    private FloatAsserts() {}

    /**
     * Tolerance: |actual - expected| within {@code absolute}, or within {@code relative} x |expected|;
     * except that up to {@code outlierShare} of an array's values may be off by up to
     * {@code outlierAbsolute} (int8 graphs, where a value rounded to the other quantization step moves
     * later ones by more than float rounding does).
     */
    public record Tolerance(double relative, double absolute, double outlierShare, double outlierAbsolute) {

        public static final Tolerance EXACT = new Tolerance(0, 0);

        public Tolerance(double relative, double absolute) {
            this(relative, absolute, 0, 0);
        }

        boolean accepts(float expected, float actual) {
            if (Float.isNaN(expected) || Float.isNaN(actual)) {
                return false;
            }
            double diff = Math.abs((double) actual - expected);
            return diff <= absolute || diff <= relative * Math.abs(expected);
        }

        /** How far from theta an entropy must be for its boundary decision to be compared. */
        public double boundaryMargin() {
            return Math.max(1e-4, Math.max(absolute, outlierShare > 0 ? outlierAbsolute : 0));
        }
    }

    /** Compares flat row-major arrays of the given shape. */
    public static void assertClose(String what, int[] shape, float[] expected, float[] actual, Tolerance tol) {
        assertEquals(expected.length, actual.length, what + ": number of values");
        int first = -1;
        int mismatches = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            if (!tol.accepts(expected[i], actual[i])) {
                mismatches++;
                first = first < 0 ? i : first;
                worst = Math.max(worst, Math.abs((double) actual[i] - expected[i]));
            }
        }
        boolean fewOutliers = mismatches <= tol.outlierShare() * expected.length && worst <= tol.outlierAbsolute();
        if (first >= 0 && !fewOutliers) {
            fail(what + index(shape, first) + ": expected " + expected[first] + " but was " + actual[first]
                    + " (" + tol + "); " + mismatches + " of " + expected.length + " values differ, largest |diff| "
                    + worst);
        }
    }

    public static void assertClose(String what, float[] expected, float[] actual, Tolerance tol) {
        assertClose(what, new int[] {expected.length}, expected, actual, tol);
    }

    /** Rows of equal length are compared as one array, so a tolerance's outlier share counts over all of them. */
    public static void assertClose(String what, float[][] expected, float[][] actual, Tolerance tol) {
        assertEquals(expected.length, actual.length, what + ": number of rows");
        int width = expected.length == 0 ? 0 : expected[0].length;
        float[] e = new float[expected.length * width];
        float[] a = new float[expected.length * width];
        for (int i = 0; i < expected.length; i++) {
            assertEquals(width, expected[i].length, what + "[" + i + "]: rows of unequal length");
            assertEquals(width, actual[i].length, what + "[" + i + "]: number of values");
            System.arraycopy(expected[i], 0, e, i * width, width);
            System.arraycopy(actual[i], 0, a, i * width, width);
        }
        assertClose(what, new int[] {expected.length, width}, e, a, tol);
    }

    /** "[b][t][k]" of flat index {@code flat} in a row-major array of {@code shape}. */
    private static String index(int[] shape, int flat) {
        StringBuilder out = new StringBuilder();
        int rest = flat;
        int[] idx = new int[shape.length];
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            idx[axis] = rest % shape[axis];
            rest /= shape[axis];
        }
        for (int i : idx) {
            out.append('[').append(i).append(']');
        }
        return out.toString();
    }
}

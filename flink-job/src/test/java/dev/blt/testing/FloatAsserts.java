package dev.blt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Float comparison that names the first differing element by its indices, so that a failure says
 * where the graphs part ways (padding position, patch, vocabulary entry) and not only that they do.
 */
public final class FloatAsserts {

    private FloatAsserts() {}

    /** Tolerance: |actual - expected| within {@code absolute}, or within {@code relative} x |expected|. */
    public record Tolerance(double relative, double absolute) {

        public static final Tolerance EXACT = new Tolerance(0, 0);

        boolean accepts(float expected, float actual) {
            if (Float.isNaN(expected) || Float.isNaN(actual)) {
                return false;
            }
            double diff = Math.abs((double) actual - expected);
            return diff <= absolute || diff <= relative * Math.abs(expected);
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
        if (first >= 0) {
            fail(what + index(shape, first) + ": expected " + expected[first] + " but was " + actual[first]
                    + " (" + tol + "); " + mismatches + " of " + expected.length + " values differ, largest |diff| "
                    + worst);
        }
    }

    public static void assertClose(String what, float[] expected, float[] actual, Tolerance tol) {
        assertClose(what, new int[] {expected.length}, expected, actual, tol);
    }

    public static void assertClose(String what, float[][] expected, float[][] actual, Tolerance tol) {
        assertEquals(expected.length, actual.length, what + ": number of rows");
        for (int i = 0; i < expected.length; i++) {
            assertClose(what + "[" + i + "]", expected[i], actual[i], tol);
        }
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

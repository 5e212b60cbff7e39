package dev.blt.sql;

/** SQL's ARRAY&lt;FLOAT&gt; is a Float[] in Java. */
final class SqlArrays {

    private SqlArrays() {
    }

    static Float[] boxed(float[] values) {
        Float[] out = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}

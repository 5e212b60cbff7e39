package dev.blt.bltstage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecentRecordsTest {

    private static float[] randomUnit(Random random, int dim) {
        double[] v = new double[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = random.nextGaussian();
        }
        return RecordEmbedding.unit(v);
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        return dot;
    }

    @Test
    void noveltyIsOneMinusTheNearestRecentCosine() {
        Random random = new Random(1);
        RecentRecords recent = new RecentRecords(8);
        float[] first = randomUnit(random, 192);
        assertTrue(Double.isNaN(recent.novelty(first)), "nothing to compare the first record with");
        recent.add(first);
        assertEquals(0, recent.novelty(first), 1e-3, "a repeat is not novel");
        float[] negated = first.clone();
        for (int i = 0; i < negated.length; i++) {
            negated[i] = -negated[i];
        }
        assertEquals(2, recent.novelty(negated), 1e-3, "the opposite direction is as novel as it gets");
        float[] other = randomUnit(random, 192);
        recent.add(other);
        float[] probe = randomUnit(random, 192);
        double want = 1 - Math.max(cosine(probe, first), cosine(probe, other));
        assertEquals(want, recent.novelty(probe), 0.01, "8-bit vectors stay within 0.01 of the float cosine");
    }

    @Test
    void keepsOnlyTheWindowNewestAndSurvivesASnapshot() throws Exception {
        Random random = new Random(2);
        RecentRecords recent = new RecentRecords(3);
        float[][] added = new float[5][];
        for (int k = 0; k < added.length; k++) {
            added[k] = randomUnit(random, 64);
            recent.add(added[k]);
        }
        assertEquals(3, recent.size());
        assertTrue(recent.novelty(added[0]) > 0.5, "the oldest fell out of the window");
        assertEquals(0, recent.novelty(added[4]), 1e-3);
        RecentRecords restored = RecentRecords.restore(recent.snapshot(), 3);
        assertArrayEquals(recent.snapshot(), restored.snapshot());
        assertEquals(recent.novelty(added[2]), restored.novelty(added[2]));
        RecentRecords narrower = RecentRecords.restore(recent.snapshot(), 1);
        assertEquals(1, narrower.size());
        assertEquals(0, narrower.novelty(added[4]), 1e-3, "a smaller window keeps the newest");
        assertThrows(java.io.IOException.class, () -> RecentRecords.restore(new byte[] {9, 0, 0, 0, 0}, 3));
    }

    @Test
    void recordEmbeddingIsTheUnitMeanAndRoundTripsThroughState() throws Exception {
        RecordEmbedding e = new RecordEmbedding();
        assertEquals(0, e.vector().length);
        e.add(new float[] {3, 0});
        e.add(new float[] {1, 4});
        assertArrayEquals(new float[] {0.7071068f, 0.7071068f}, e.vector(), 1e-6f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        e.writeTo(new DataOutputStream(bytes));
        RecordEmbedding back = RecordEmbedding.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertArrayEquals(e.vector(), back.vector());
        assertEquals(2, back.patches());
        assertThrows(IllegalArgumentException.class, () -> e.add(new float[3]));
    }
}

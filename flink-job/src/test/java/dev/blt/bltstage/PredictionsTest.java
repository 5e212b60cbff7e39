package dev.blt.bltstage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PredictionsTest {

    /** The definition: every byte, sorted by probability, most likely first, ties in byte order. */
    private static List<Predictions.NextByte> sorted(float[] logprobs, int byteOffset, int k) {
        List<Predictions.NextByte> all = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            all.add(new Predictions.NextByte(b, Math.exp(logprobs[b + byteOffset])));
        }
        all.sort(Comparator.comparingDouble(Predictions.NextByte::probability).reversed());
        return all.subList(0, Math.min(k, 256));
    }

    @Test
    void topKIsThePrefixOfTheSortedDistributionTiesInByteOrder() {
        Random random = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            float[] logprobs = new float[260];
            int levels = 1 + random.nextInt(trial % 3 == 0 ? 4 : 1000); // few levels: many ties
            for (int i = 0; i < logprobs.length; i++) {
                logprobs[i] = -random.nextInt(levels) * 0.25f;
            }
            for (int k : new int[] {1, 2, 5, 17, 255, 256}) {
                assertEquals(sorted(logprobs, 4, k), Predictions.topK(logprobs, 4, k), "trial " + trial + ", k " + k);
            }
        }
    }
}

package dev.blt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LengthBatchesTest {

    @Test
    void everyRowOnceWithinBudgetAndSortedByLength() {
        Random random = new Random(5);
        int[] lengths = random.ints(200, 1, 300).toArray();
        long budget = 2_000;
        List<int[]> batches = LengthBatches.split(lengths, budget);

        int[] seen = batches.stream().flatMapToInt(Arrays::stream).sorted().toArray();
        assertArrayEquals(IntStream.range(0, lengths.length).toArray(), seen);
        int previousWidth = 0;
        for (int[] batch : batches) {
            int width = Arrays.stream(batch).map(i -> lengths[i]).max().orElseThrow();
            int narrowest = Arrays.stream(batch).map(i -> lengths[i]).min().orElseThrow();
            assertTrue(batch.length == 1 || (long) batch.length * width <= budget, "over budget: " + batch.length
                    + " rows of up to " + width);
            assertTrue(narrowest >= previousWidth, "batches hold consecutive lengths");
            previousWidth = width;
        }
    }

    @Test
    void aRowLongerThanTheBudgetGoesAlone() {
        List<int[]> batches = LengthBatches.split(new int[] {5, 50, 5}, 20);
        assertEquals(2, batches.size());
        assertArrayEquals(new int[] {0, 2}, batches.get(0));
        assertArrayEquals(new int[] {1}, batches.get(1));
    }

    @Test
    void noRowsNoBatches() {
        assertEquals(0, LengthBatches.split(new int[0], 10).size());
    }
}

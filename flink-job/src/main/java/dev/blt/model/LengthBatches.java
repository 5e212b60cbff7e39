package dev.blt.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Splits rows of uneven length into padded batches. Rows are sorted by length so that each batch
 * holds rows of similar length and padding stays small, and a batch grows while its padded size
 * (rows x longest row) stays within a token budget, which bounds the memory of one call. A row
 * longer than the budget goes alone.
 */
final class LengthBatches {

    private LengthBatches() {}

    /** Index groups into {@code lengths}, each group one model call; every index appears once. */
    static List<int[]> split(int[] lengths, long tokenBudget) {
        if (tokenBudget < 1) {
            throw new IllegalArgumentException("token budget must be >= 1, was " + tokenBudget);
        }
        int[] order = IntStream.range(0, lengths.length).boxed()
                .sorted(Comparator.comparingInt(i -> lengths[i]))
                .mapToInt(Integer::intValue).toArray();
        List<int[]> batches = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= order.length; i++) {
            // Sorted ascending, so row i would be the widest row of the batch [from, i].
            boolean full = i == order.length || (long) (i - from + 1) * lengths[order[i]] > tokenBudget;
            if (full) {
                int[] batch = new int[i - from];
                System.arraycopy(order, from, batch, 0, batch.length);
                batches.add(batch);
                from = i;
            }
        }
        return batches;
    }
}

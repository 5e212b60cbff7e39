package dev.blt.flink;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * Totals of a run, as Flink accumulators (summed over subtasks, returned with the job's result):
 * what `blt run` prints when a bounded run ends, in this order. Live figures are the metrics;
 * these are the run's end-of-job account.
 */
public enum RunTotal {
    INPUT_RECORDS("input records"),
    PATCHES("patches"),
    ENCODED_PATCHES("encoded patches (embeddings, predictions)"),
    RECORD_SCORES("record scores"),
    DEAD_LETTERS("dead letters");

    /** The accumulator's name, which the summary prints. */
    public final String label;

    RunTotal(String label) {
        this.label = label;
    }

    /** This subtask's counter of this total (registered once per subtask). */
    LongCounter counter(RuntimeContext context) {
        LongCounter counter = new LongCounter();
        context.addAccumulator(label, counter);
        return counter;
    }

    /** The totals among a finished job's accumulator results, by label, in print order (absent ones left out). */
    public static Map<String, Long> of(Map<String, Object> accumulators) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (RunTotal total : values()) {
            if (accumulators.get(total.label) instanceof Number n) {
                out.put(total.label, n.longValue());
            }
        }
        return out;
    }
}

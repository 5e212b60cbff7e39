package dev.blt.flink;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;

/**
 * Totals of a run, as Flink accumulators (summed over subtasks, returned with the job's result):
 * what `blt run` prints when a bounded run ends. Live figures are the metrics; these are the
 * run's end-of-job account.
 */
public final class RunTotals {

    public static final String INPUT_RECORDS = "input records";
    public static final String PATCHES = "patches";
    public static final String ENCODED_PATCHES = "encoded patches (embeddings, predictions)";
    public static final String RECORD_SCORES = "record scores";
    public static final String DEAD_LETTERS = "dead letters";

    /** The order the summary prints them in. */
    private static final String[] ORDER = {INPUT_RECORDS, PATCHES, ENCODED_PATCHES, RECORD_SCORES, DEAD_LETTERS};

    private RunTotals() {
    }

    /** This subtask's counter of one total (registered once per subtask). */
    static LongCounter counter(RuntimeContext context, String name) {
        LongCounter counter = new LongCounter();
        context.addAccumulator(name, counter);
        return counter;
    }

    /** The totals among a finished job's accumulator results, in print order (absent ones left out). */
    public static Map<String, Long> of(Map<String, Object> accumulators) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String name : ORDER) {
            if (accumulators.get(name) instanceof Number n) {
                out.put(name, n.longValue());
            }
        }
        return out;
    }
}

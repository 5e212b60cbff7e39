package dev.blt.flink;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a batched model call so that one key's input cannot fail the others: if the call over all
 * keys throws, each key's part runs alone, and those that still fail are reported, for the dead
 * letter topic. Only when every part fails and a known-good probe fails too is it the model or the
 * machine that is broken: then the original error is rethrown and Flink restarts the task.
 */
final class FailureIsolation {

    /** A batched call over some groups (one group per key). */
    interface Call<G> {
        void run(List<G> groups) throws Exception;
    }

    /** A minimal call that must succeed on a healthy model. */
    interface Probe {
        void run() throws Exception;
    }

    private FailureIsolation() {
    }

    /** Returns the groups that failed alone, with their errors; empty when the batched call succeeded. */
    static <G> Map<G, Exception> run(List<G> groups, Call<G> call, Probe probe) throws Exception {
        Map<G, Exception> failed = new LinkedHashMap<>();
        if (groups.isEmpty()) {
            return failed;
        }
        try {
            call.run(groups);
            return failed;
        } catch (Exception whole) {
            if (groups.size() == 1) {
                failed.put(groups.get(0), whole);
            } else {
                for (G group : groups) {
                    try {
                        call.run(List.of(group));
                    } catch (Exception alone) {
                        failed.put(group, alone);
                    }
                }
            }
            if (failed.size() == groups.size()) {
                try {
                    probe.run();
                } catch (Exception probeFailure) {
                    whole.addSuppressed(probeFailure);
                    throw whole;
                }
            }
            return failed;
        }
    }

    /** The dead letter's reason for a failed model call. */
    static String reason(String what, Exception e) {
        String message = e.getMessage() == null ? e.getClass().getName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return what + " failed on this record's input while the model works on other input: " + message;
    }
}

package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The batched call -> per-key retry -> probe ladder that keeps one bad key from failing the others. */
class FailureIsolationTest {

    /** A batched call that fails whenever its batch holds one of the poisoned groups; logs every batch. */
    private static final class Recording implements FailureIsolation.Call<String> {
        final Set<String> poisoned;
        final List<List<String>> batches = new ArrayList<>();
        final List<String> succeeded = new ArrayList<>();

        Recording(String... poisoned) {
            this.poisoned = Set.of(poisoned);
        }

        @Override
        public void run(List<String> groups) {
            batches.add(List.copyOf(groups));
            for (String g : groups) {
                if (poisoned.contains(g)) {
                    throw new IllegalArgumentException("bad input in " + g + " of batch " + groups);
                }
            }
            succeeded.addAll(groups);
        }
    }

    private static final class Probe implements FailureIsolation.Probe {
        final RuntimeException failure;
        int runs;

        Probe(RuntimeException failure) {
            this.failure = failure;
        }

        @Override
        public void run() {
            runs++;
            if (failure != null) {
                throw failure;
            }
        }
    }

    @Test
    void successReportsNothingAndRunsTheCallOnce() throws Exception {
        Recording call = new Recording();
        Probe probe = new Probe(null);
        Map<String, Exception> failed = FailureIsolation.run(List.of("a", "b", "c"), call, probe);
        assertTrue(failed.isEmpty(), "reported " + failed);
        assertEquals(List.of(List.of("a", "b", "c")), call.batches, "one batched call, nothing retried");
        assertEquals(0, probe.runs, "no probe when the call works");
    }

    @Test
    void noGroupsRunNothing() throws Exception {
        Recording call = new Recording();
        Probe probe = new Probe(null);
        assertTrue(FailureIsolation.run(List.of(), call, probe).isEmpty());
        assertTrue(call.batches.isEmpty());
        assertEquals(0, probe.runs);
    }

    @Test
    void oneBadGroupIsReportedAloneAndTheOthersRun() throws Exception {
        Recording call = new Recording("b");
        Probe probe = new Probe(null);
        Map<String, Exception> failed = FailureIsolation.run(List.of("a", "b", "c"), call, probe);
        assertEquals(Set.of("b"), failed.keySet());
        assertTrue(failed.get("b").getMessage().contains("bad input in b of batch [b]"),
                "the error of b's own call is reported: " + failed.get("b").getMessage());
        assertEquals(List.of(List.of("a", "b", "c"), List.of("a"), List.of("b"), List.of("c")), call.batches,
                "the batch, then every group alone");
        assertEquals(List.of("a", "c"), call.succeeded, "the good groups ran");
        assertEquals(0, probe.runs, "some groups worked: the model is fine, no probe needed");
        String reason = FailureIsolation.reason("the entropy model", failed.get("b"));
        assertTrue(reason.startsWith("the entropy model failed on this record's input")
                && reason.contains("IllegalArgumentException: bad input in b"), reason);
    }

    @Test
    void everyGroupFailingAndTheProbeFailingRethrowsTheOriginalError() {
        Recording call = new Recording("a", "b");
        IllegalStateException probeFailure = new IllegalStateException("model is broken");
        Probe probe = new Probe(probeFailure);
        Exception thrown = assertThrows(IllegalArgumentException.class,
                () -> FailureIsolation.run(List.of("a", "b"), call, probe));
        assertEquals("bad input in a of batch [a, b]", thrown.getMessage(), "the batched call's own error");
        assertArrayEquals(new Throwable[] {probeFailure}, thrown.getSuppressed(), "the probe's error is kept");
        assertEquals(1, probe.runs);
        assertEquals(3, call.batches.size(), "the batch, then each group alone");
    }

    @Test
    void everyGroupFailingWhileTheProbeWorksReportsThemAll() throws Exception {
        Recording call = new Recording("a", "b", "c");
        Probe probe = new Probe(null);
        Map<String, Exception> failed = FailureIsolation.run(List.of("a", "b", "c"), call, probe);
        assertEquals(List.of("a", "b", "c"), new ArrayList<>(failed.keySet()), "all reported, in order");
        for (String g : failed.keySet()) {
            assertEquals("bad input in " + g + " of batch [" + g + "]", failed.get(g).getMessage());
        }
        assertEquals(1, probe.runs);
    }

    @Test
    void aSingleGroupIsNotRetriedButStillProbed() throws Exception {
        Recording call = new Recording("a");
        Probe probe = new Probe(null);
        Map<String, Exception> failed = FailureIsolation.run(List.of("a"), call, probe);
        assertEquals(Set.of("a"), failed.keySet());
        assertEquals(1, call.batches.size(), "a retry alone would be the same call");
        assertEquals(1, probe.runs);

        RuntimeException broken = new IllegalStateException("model is broken");
        Exception thrown = assertThrows(IllegalArgumentException.class,
                () -> FailureIsolation.run(List.of("a"), new Recording("a"), new Probe(broken)));
        assertSame(broken, thrown.getSuppressed()[0]);
    }
}

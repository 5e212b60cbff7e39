package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

class DriftMonitorTest {

    private static final int KIB = 1024;

    /** A metric group that keeps its gauges by dotted name, subgroups included. */
    private static final class Gauges extends UnregisteredMetricsGroup {
        final Map<String, Gauge<?>> gauges;
        final String scope;

        Gauges() {
            this(new LinkedHashMap<>(), "");
        }

        private Gauges(Map<String, Gauge<?>> gauges, String scope) {
            this.gauges = gauges;
            this.scope = scope;
        }

        @Override
        public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
            gauges.put(scope + name, gauge);
            return gauge;
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return new Gauges(gauges, scope + key + "." + value + ".");
        }

        double value(String name) {
            Gauge<?> g = gauges.get(name);
            assertTrue(g != null, "no gauge " + name + "; have " + gauges.keySet());
            return ((Number) g.getValue()).doubleValue();
        }
    }

    private static DriftMonitor monitor(Gauges gauges, Double heldOut, DriftSettings settings) {
        return new DriftMonitor("entropy model", "test@0", heldOut, settings, gauges, "entropyModel", true);
    }

    /** Feeds bytes of one stream in patches of 4 at the given bits per byte. */
    private static void feed(DriftMonitor m, String stream, int bytes, double bitsPerByte) {
        for (int i = 0; i < bytes / 4; i++) {
            m.patch(stream, 4 * bitsPerByte, 4);
        }
    }

    @Test
    void rollingFiguresAreAnExponentialAverageOverBytes() {
        Gauges gauges = new Gauges();
        DriftMonitor m = monitor(gauges, 2.0, DriftSettings.DEFAULT);
        feed(m, "a", 1024 * KIB, 2.0);
        assertEquals(2.0, gauges.value("entropyModelBitsPerByte"), 1e-9);
        assertEquals(4.0, gauges.value("rollingPatchLength"), 1e-9);
        // One horizon at 6 bits/byte: 6 - 4/e of the way there (after 1 MiB of history at 2).
        feed(m, "a", (int) DriftMonitor.HORIZON_BYTES, 6.0);
        double expected = 6.0 - 4.0 * Math.exp(-1);
        assertEquals(expected, gauges.value("entropyModelBitsPerByte"), 1e-3);
        assertEquals(expected, gauges.value("stream.a.entropyModelBitsPerByte"), 1e-3);
        assertEquals(2.0, gauges.value("entropyModelHeldOutBitsPerByte"), 0);
    }

    @Test
    void aStreamDriftsOnceWarmAboveTheRatioAndRecoversBelowNinetyPercentOfIt() {
        Gauges gauges = new Gauges();
        DriftMonitor m = monitor(gauges, 2.0, new DriftSettings(1.5, 16)); // threshold 3.0
        feed(m, "far", 60 * KIB, 5.0);
        assertEquals(0, m.drifting(), "judged before a horizon of bytes");
        feed(m, "far", 8 * KIB, 5.0);
        assertEquals(1, m.drifting());
        assertEquals(1.0, gauges.value("entropyModelDriftingStreams"), 0);
        feed(m, "near", 128 * KIB, 2.5);
        assertEquals(1, m.drifting(), "a stream under the threshold does not drift");
        // Falling: still drifting between 2.7 and 3.0, recovered below 2.7.
        while (m.stream("far").bitsPerByte() > 2.8) {
            feed(m, "far", 256, 1.0);
        }
        assertEquals(1, m.drifting());
        while (m.stream("far").bitsPerByte() > 2.69) {
            feed(m, "far", 256, 1.0);
        }
        assertEquals(0, m.drifting());
    }

    @Test
    void withoutAHeldOutFigureOrWithWarningsOffNothingDrifts() {
        Gauges gauges = new Gauges();
        DriftMonitor unknown = monitor(gauges, null, DriftSettings.DEFAULT);
        feed(unknown, "a", 256 * KIB, 8.0);
        assertEquals(0, unknown.drifting());
        assertEquals(8.0, unknown.bitsPerByte(), 1e-9);
        assertTrue(!gauges.gauges.containsKey("entropyModelHeldOutBitsPerByte"));
        DriftMonitor off = monitor(new Gauges(), 2.0, new DriftSettings(0, 16));
        feed(off, "a", 256 * KIB, 8.0);
        assertEquals(0, off.drifting());
    }

    @Test
    void onlyTheFirstStreamsGetMetricsOfTheirOwn() {
        Gauges gauges = new Gauges();
        DriftMonitor m = monitor(gauges, 2.0, new DriftSettings(1.5, 2));
        for (String s : new String[] {"a", "b", "c", "a"}) {
            m.patch(s, 8, 4);
        }
        assertTrue(gauges.gauges.containsKey("stream.a.entropyModelBitsPerByte"));
        assertTrue(gauges.gauges.containsKey("stream.b.rollingPatchLength"));
        assertTrue(gauges.gauges.keySet().stream().noneMatch(k -> k.startsWith("stream.c.")), gauges.gauges.keySet()::toString);
        assertEquals(2.0, m.stream("c").bitsPerByte(), 1e-9);
    }

    @Test
    void forgettingADriftingStreamUncountsIt() {
        DriftMonitor m = monitor(new Gauges(), 2.0, new DriftSettings(1.5, 0));
        m.patch("first", 8.0 * 65536, 65536); // warm and drifting at once
        assertEquals(1, m.drifting());
        for (int i = 0; i < DriftMonitor.TRACKED_STREAMS; i++) {
            m.patch("other-" + i, 1, 1);
        }
        assertNull(m.stream("first"));
        assertEquals(0, m.drifting());
    }

    @Test
    void settingsAreChecked() {
        for (double bad : new double[] {1.0, 0.5, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new DriftSettings(bad, 16));
            assertTrue(e.getMessage().contains("drift warning ratio"), e.getMessage());
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new DriftSettings(1.5, -1));
    }
}

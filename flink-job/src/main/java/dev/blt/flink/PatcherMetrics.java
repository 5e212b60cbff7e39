package dev.blt.flink;

import dev.blt.patching.ClosedPatch;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** The patcher's metrics, registered in the operator's metric group under "blt". */
final class PatcherMetrics {

    static final int HISTOGRAM_WINDOW = 1000;

    private final Counter bytesIn;
    private final Counter patches;
    private final Counter patchBytes;
    private final Counter deadLetters;
    private final Histogram entropy;
    private final Histogram bundleBytes;
    private final Histogram bundleWindows;
    private final Histogram inferenceMicros;

    PatcherMetrics(MetricGroup operatorGroup) {
        MetricGroup g = operatorGroup.addGroup("blt");
        bytesIn = g.counter("bytesIn");
        g.meter("bytesInPerSecond", new MeterView(bytesIn));
        patches = g.counter("patches");
        g.meter("patchesPerSecond", new MeterView(patches));
        patchBytes = g.counter("patchBytes");
        g.gauge("avgPatchLength", () -> patches.getCount() == 0 ? 0.0 : (double) patchBytes.getCount() / patches.getCount());
        deadLetters = g.counter("deadLetters");
        entropy = g.histogram("entropyMilliNats", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        bundleBytes = g.histogram("bundleBytes", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        bundleWindows = g.histogram("bundleWindows", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        inferenceMicros = g.histogram("inferenceLatencyMicros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    }

    void bytesIn(int n) {
        bytesIn.inc(n);
    }

    void patch(ClosedPatch patch) {
        patches.inc();
        patchBytes.inc(patch.length());
        for (float h : patch.entropies()) {
            entropy.update(Math.round(h * 1000.0));
        }
    }

    void bundle(int bytes, int windows, long nanos) {
        bundleBytes.update(bytes);
        bundleWindows.update(windows);
        if (windows > 0) {
            inferenceMicros.update(nanos / 1000);
        }
    }

    void deadLetter() {
        deadLetters.inc();
    }
}

package dev.blt.flink;

import java.io.Serializable;

/**
 * How the job watches its streams drift away from what the model knows ({@link DriftMonitor}).
 *
 * @param warnRatio     a stream is drifting while its rolling bits per byte exceed this many times
 *                      the model's own figure on its held-out data; 0 switches the warnings off
 *                      (the metrics stay)
 * @param metricStreams streams per subtask that get metrics of their own (the first ones seen);
 *                      the rest count in the subtask's totals and in the warnings only, so a job
 *                      with a million keys does not register a million metric series
 */
public record DriftSettings(double warnRatio, int metricStreams) implements Serializable {

    public static final double DEFAULT_WARN_RATIO = 1.5;
    public static final int DEFAULT_METRIC_STREAMS = 16;
    public static final DriftSettings DEFAULT = new DriftSettings(DEFAULT_WARN_RATIO, DEFAULT_METRIC_STREAMS);

    public DriftSettings {
        if (!(warnRatio == 0 || warnRatio > 1) || !Double.isFinite(warnRatio)) {
            throw new IllegalArgumentException("drift warning ratio must be above 1 (or 0 = no warnings), got " + warnRatio);
        }
        if (metricStreams < 0) {
            throw new IllegalArgumentException("streams with drift metrics must be >= 0, got " + metricStreams);
        }
    }
}

package dev.blt.flink;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a subtask's streams still look like what one model was made for: each stream's rolling
 * bits per byte under the model (and its bytes per patch), and the same over all the subtask's
 * streams, against the model's own figure on held-out data (the manifest's; after `blt adapt`,
 * the user's held-back lines).
 *
 * <p>Rolling means exponentially weighted over bytes: a patch of n bytes scales everything before it
 * by exp(-n / {@link #HORIZON_BYTES}), so the figures follow about a stream's last 64 KiB whatever
 * its record sizes, and cost a few numbers per stream. They are not checkpointed: after a restore
 * they start over, like every other metric.
 *
 * <p>A stream that has sent at least one horizon of bytes and whose rolling bits per byte exceed
 * {@link DriftSettings#warnRatio()} times the held-out figure is <em>drifting</em>: one WARN line
 * when it starts (naming the stream, the figures and what to do), one INFO line when it falls back
 * below {@link #RECOVERY_SHARE} of the threshold, and a gauge of how many drift now.
 */
final class DriftMonitor {

    /** The rolling figures follow about this many of a stream's latest bytes. */
    static final double HORIZON_BYTES = 64 * 1024;

    /** Streams a subtask keeps figures for, least recently active out first (about 100 bytes each). */
    static final int TRACKED_STREAMS = 1 << 16;

    /** A drifting stream recovers below this share of the threshold, so one near it does not flap. */
    static final double RECOVERY_SHARE = 0.9;

    private static final Logger LOG = LoggerFactory.getLogger(DriftMonitor.class);

    /** Bits, bytes and patches, each decayed by exp(-(bytes since) / HORIZON_BYTES). */
    static final class Rolling {
        private double bits;
        private double bytes;
        private double patches;
        private long seenBytes;
        private boolean drifting;

        void add(double patchBits, int patchBytes) {
            double keep = Math.exp(-patchBytes / HORIZON_BYTES);
            bits = bits * keep + patchBits;
            bytes = bytes * keep + patchBytes;
            patches = patches * keep + 1;
            seenBytes += patchBytes;
        }

        double bitsPerByte() {
            return bytes == 0 ? 0 : bits / bytes;
        }

        double bytesPerPatch() {
            return patches == 0 ? 0 : bytes / patches;
        }

        /** Judged only once it has a horizon of bytes: a stream's first lines say little. */
        boolean warm() {
            return seenBytes >= HORIZON_BYTES;
        }
    }

    private final String modelName;
    private final String modelId;
    private final double heldOut;
    private final double threshold;
    private final DriftSettings settings;
    private final MetricGroup group;
    private final String prefix;
    private final boolean reportPatchLength;
    private final Rolling total = new Rolling();
    private final Map<String, Rolling> withMetrics = new HashMap<>();
    private final LinkedHashMap<String, Rolling> streams;
    private int drifting;

    /**
     * @param modelName         "entropy model" or "BLT", for log lines
     * @param heldOut           the model's bits per byte on held-out data; null when the manifest
     *                          has none (metrics, but no warnings)
     * @param prefix            metric name prefix: {@code <prefix>BitsPerByte}, {@code <prefix>HeldOutBitsPerByte},
     *                          {@code <prefix>DriftingStreams}
     * @param reportPatchLength also report {@code rollingPatchLength} (the patcher's monitor does)
     */
    DriftMonitor(String modelName, String modelId, Double heldOut, DriftSettings settings,
                 MetricGroup group, String prefix, boolean reportPatchLength) {
        this.modelName = modelName;
        this.modelId = modelId;
        this.heldOut = heldOut == null ? Double.NaN : heldOut;
        this.settings = settings;
        this.threshold = heldOut == null || settings.warnRatio() == 0 ? Double.POSITIVE_INFINITY
                : heldOut * settings.warnRatio();
        this.group = group;
        this.prefix = prefix;
        this.reportPatchLength = reportPatchLength;
        this.streams = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Rolling> eldest) {
                boolean out = size() > TRACKED_STREAMS;
                if (out && eldest.getValue().drifting && !withMetrics.containsKey(eldest.getKey())) {
                    drifting--; // forgotten: counted again if it comes back and still drifts
                }
                return out;
            }
        };
        register(group, total);
        if (heldOut != null) {
            group.gauge(prefix + "HeldOutBitsPerByte", () -> heldOut);
        }
        group.gauge(prefix + "DriftingStreams", () -> drifting);
    }

    /** Counts one closed patch of {@code stream}: its length and its total surprise in bits. */
    void patch(String stream, double bits, int bytes) {
        if (bytes <= 0) {
            return;
        }
        total.add(bits, bytes);
        Rolling r = streams.get(stream);
        if (r == null) {
            r = withMetrics.get(stream);
            if (r == null) {
                r = new Rolling();
                if (withMetrics.size() < settings.metricStreams()) {
                    withMetrics.put(stream, r);
                    register(group.addGroup("stream", stream), r);
                }
            }
            streams.put(stream, r); // a stream with metrics keeps its figures while out of this map
        }
        r.add(bits, bytes);
        judge(stream, r);
    }

    private void judge(String stream, Rolling r) {
        if (!r.warm() || threshold == Double.POSITIVE_INFINITY) {
            return;
        }
        double bpb = r.bitsPerByte();
        if (!r.drifting && bpb > threshold) {
            r.drifting = true;
            drifting++;
            LOG.warn("stream '{}': the {} needs {} bits/byte over its last ~{} KiB, {}x its {} on held-out data ({}); "
                            + "it does not know these logs well. Adapt it to them: ./blt adapt (README, \"Drift and adaptation\")",
                    stream, modelName, round(bpb), (int) (HORIZON_BYTES / 1024), round(bpb / heldOut), round(heldOut),
                    modelId);
        } else if (r.drifting && bpb < threshold * RECOVERY_SHARE) {
            r.drifting = false;
            drifting--;
            LOG.info("stream '{}': the {} is back to {} bits/byte (drift threshold {})", stream, modelName, round(bpb),
                    round(threshold));
        }
    }

    private void register(MetricGroup g, Rolling r) {
        g.gauge(prefix + "BitsPerByte", r::bitsPerByte);
        if (reportPatchLength) {
            g.gauge("rollingPatchLength", r::bytesPerPatch);
        }
    }

    /** The subtask's rolling bits per byte over all its streams. */
    double bitsPerByte() {
        return total.bitsPerByte();
    }

    /** Streams drifting now. */
    int drifting() {
        return drifting;
    }

    /** The stream's rolling figures, or null when it is not tracked. */
    Rolling stream(String stream) {
        Rolling r = streams.get(stream);
        return r == null ? withMetrics.get(stream) : r;
    }

    private static String round(double v) {
        return String.format(java.util.Locale.ROOT, "%.2f", v);
    }
}

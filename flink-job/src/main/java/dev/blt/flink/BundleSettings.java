package dev.blt.flink;

import java.io.Serializable;

/**
 * When a mini-batch (bundle) of work across keys runs: at maxBytes buffered bytes, after maxDelayMs,
 * before every checkpoint barrier, and at end of input.
 *
 * @param idleFlushMs stream segmentation: close a key's open patch after this long without input;
 *                    0 = never. Trades exactness for latency: a patch cut by the idle flush does not
 *                    match a one-piece run.
 *     The defaults are those of the --bundle-max-bytes, --bundle-max-delay-ms and --idle-flush-ms flags.
 */
public record BundleSettings(int maxBytes, long maxDelayMs, long idleFlushMs) implements Serializable {

    public BundleSettings {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("bundle max bytes must be >= 1, got " + maxBytes);
        }
        if (maxDelayMs < 1) {
            throw new IllegalArgumentException("bundle max delay must be >= 1 ms, got " + maxDelayMs);
        }
        if (idleFlushMs < 0) {
            throw new IllegalArgumentException("idle flush must be >= 0 ms (0 = off), got " + idleFlushMs);
        }
    }
}

package dev.blt.flink;

import java.time.Duration;

/**
 * How the sinks' Kafka transaction timeout, the checkpoint interval and the checkpoint timeout fit
 * together. An exactly-once sink opens a transaction after one checkpoint and commits it when the
 * next checkpoint completes, so a transaction lives for about one interval plus one checkpoint. If
 * the broker aborts it first, the sink is fenced and that interval's output would be lost; the
 * checkpoint timeout is therefore set so that a slow checkpoint fails (and the job restores from
 * the previous one) before its transaction can time out.
 */
public final class TransactionTimeouts {

    /** Flink's own default; longer never helps, as the transaction would time out first. */
    static final Duration MAX_CHECKPOINT_TIMEOUT = Duration.ofMinutes(10);

    private TransactionTimeouts() {
    }

    /**
     * Fails with a message that says what to change when the transaction timeout leaves a
     * checkpoint less than one interval to complete.
     */
    public static void check(long transactionTimeoutMs, long checkpointIntervalMs, long bundleMaxDelayMs) {
        long needed = minimumTransactionTimeoutMs(checkpointIntervalMs, bundleMaxDelayMs);
        if (transactionTimeoutMs < needed) {
            throw new IllegalArgumentException("transaction.timeout.ms (" + transactionTimeoutMs + ") is too short for "
                    + "--checkpoint-interval-ms " + checkpointIntervalMs + ": a sink transaction stays open from one "
                    + "checkpoint until the next completes, so it must be at least 2 x the interval + "
                    + "--bundle-max-delay-ms = " + needed + " ms. Raise -K transaction.timeout.ms (up to the broker's "
                    + "transaction.max.timeout.ms) or lower the checkpoint interval.");
        }
    }

    static long minimumTransactionTimeoutMs(long checkpointIntervalMs, long bundleMaxDelayMs) {
        return 2 * checkpointIntervalMs + bundleMaxDelayMs;
    }

    /** A checkpoint slower than this fails, while its transaction is still open on the broker. */
    public static Duration checkpointTimeout(long transactionTimeoutMs, long checkpointIntervalMs, long bundleMaxDelayMs) {
        long ms = transactionTimeoutMs - checkpointIntervalMs - bundleMaxDelayMs;
        return Duration.ofMillis(Math.min(ms, MAX_CHECKPOINT_TIMEOUT.toMillis()));
    }
}

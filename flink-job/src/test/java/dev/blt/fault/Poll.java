package dev.blt.fault;

import java.time.Duration;

/**
 * Waits for a condition by asking it again and again until it holds or a deadline passes. The harness
 * uses this instead of fixed sleeps: it returns as soon as the condition holds, and says what it was
 * waiting for when it does not.
 */
public final class Poll {

    /** How long to wait between two checks: short against the seconds the awaited events take. */
    private static final Duration INTERVAL = Duration.ofMillis(200);

    /** A check that may throw; a failure counts as "not yet" (except {@link ProcessDiedException}). */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    private Poll() {}

    /**
     * Checks {@code condition} until it returns true.
     *
     * <p>An exception or assertion error thrown by the condition counts as "not yet" and is attached to
     * the timeout error, except a {@link ProcessDiedException}, which is rethrown at once: a dead child
     * never becomes ready.
     *
     * @param what what is awaited, for the error message ("Kafka broker accepts requests")
     * @throws IllegalStateException if the deadline passes first
     */
    public static void until(String what, Duration timeout, Condition condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable lastFailure = null;
        while (true) {
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (ProcessDiedException e) {
                throw e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting until " + what, e);
            } catch (Exception | AssertionError e) {
                lastFailure = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeout + " waiting until " + what, lastFailure);
            }
            try {
                Thread.sleep(INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting until " + what, e);
            }
        }
    }
}

package dev.blt.model;

/**
 * How ONNX Runtime sessions are opened.
 *
 * <p>{@code intraOpThreads} defaults to 1. Flink already runs one operator instance per slot and
 * each instance calls the (JVM-wide, shared) session from its own task thread, so the slots are
 * the CPU parallelism: with one intra-op thread ONNX Runtime computes on the calling thread and N
 * busy slots keep N cores busy. A larger value gives the session a thread pool of its own, which
 * helps a TaskManager with one slot and several cores, but with several busy slots it
 * oversubscribes the cores (slots x threads runnable threads). Raise it only together with fewer
 * slots. On CUDA it only affects the few operators that fall back to the CPU.
 */
public record SessionSettings(Device device, int intraOpThreads) {

    public static final int DEFAULT_INTRA_OP_THREADS = 1;

    public SessionSettings {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, was " + intraOpThreads);
        }
    }

    public static SessionSettings cpu() {
        return new SessionSettings(Device.CPU, DEFAULT_INTRA_OP_THREADS);
    }

    public static SessionSettings on(Device device) {
        return new SessionSettings(device, DEFAULT_INTRA_OP_THREADS);
    }
}

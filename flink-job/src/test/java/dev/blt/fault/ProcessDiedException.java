package dev.blt.fault;

/** A child JVM exited while the harness was waiting for it; the message carries its last log lines. */
public final class ProcessDiedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    ProcessDiedException(String message) {
        super(message);
    }
}

package dev.blt.model;

/**
 * A model folder or bundled model could not be used: missing or unreadable files, a manifest that
 * does not parse or breaks an invariant, or a file whose size or checksum does not match the
 * manifest. Unchecked, because it happens while an operator opens and nothing there can recover;
 * the message is what an operator reads, so it always names the file or field at fault.
 */
public final class ModelLoadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.blt.patching;

/** How a key's records relate to each other. */
public enum Segmentation {
    /** One continuous byte stream per key: patches may span records. Default for raw byte streams. */
    STREAM,
    /**
     * Every record starts a patch and patches never span records. Default for log lines. Whether the
     * model still sees the key's earlier records is {@link RecordContext}'s choice (carry by default).
     */
    RECORD;
}

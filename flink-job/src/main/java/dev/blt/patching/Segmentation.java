package dev.blt.patching;

import java.util.Locale;

/** How a key's records relate to each other. */
public enum Segmentation {
    /** One continuous byte stream per key: patches may span records. Default for raw byte streams. */
    STREAM,
    /** Every record is a document of its own (BOS first, no state carried). Default for log lines. */
    RECORD;

    public static Segmentation parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("segmentation must be 'stream' or 'record', got '" + value + "'");
        }
    }
}

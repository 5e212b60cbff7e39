package dev.blt.kafka;

import java.util.Locale;

/** How input records carry their bytes. */
public enum InputFormat {
    /** Key = stream id (UTF-8), value = the raw bytes. */
    RAW,
    /** Value = an Avro ByteChunk in single-object encoding; the key is ignored. */
    AVRO;

    public static InputFormat parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input format must be 'raw' or 'avro', got '" + value + "'");
        }
    }
}

package dev.blt.kafka;

/** How input records carry their bytes. */
public enum InputFormat {
    /** Key = stream id (UTF-8), value = the raw bytes. */
    RAW,
    /** Value = an Avro ByteChunk in single-object encoding; the key is ignored. */
    AVRO;
}

package dev.blt.patching;

/**
 * Record segmentation: what the models see before a record's first byte. Either way a record
 * starts a new patch and no patch spans records; only the models' context differs.
 */
public enum RecordContext {
    /**
     * The key's earlier records, each followed by the manifest's record separator: a log line is
     * scored knowing the lines before it, which is what makes repeated templates predictable.
     * Output depends on the order of the key's records. Default.
     */
    CARRY,
    /**
     * Nothing: every record is scored alone (BOS first), as if it were the key's only record. Use it
     * when records of one key are unrelated, or when a record's output must not depend on earlier ones.
     */
    RESET;
}

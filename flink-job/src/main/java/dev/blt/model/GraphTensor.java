package dev.blt.model;

import java.util.Locale;

/**
 * A tensor that the Java runtime feeds to or reads from an exported graph: named as the graph
 * names it (the constant in lower case, see {@code model-export/blt_models/export.py}), with the
 * element type (as the manifest spells it) and the rank it must have. {@link GraphIo} lists which
 * graph takes and produces which.
 */
public enum GraphTensor {
    // The entropy model's full-window graph, and the extra tensors of its incremental (step) graph.
    TOKENS("int64", 2), ENTROPY("float32", 2), NEXT_LOGPROB("float32", 2), HIDDEN("float32", 3),
    PAST_KEY("float32", 5), PAST_VALUE("float32", 5), LAST_LOGP("float32", 2),
    PRESENT_KEY("float32", 5), PRESENT_VALUE("float32", 5),
    // The rolling graph of a sliding-window entropy model also takes each row's positions.
    START("int64", 1), VALID_FROM("int64", 1), LENGTHS("int64", 1),
    // The BLT graph (local encoder, latent transformer, local decoder) also takes TOKENS and gives NEXT_LOGPROB.
    PATCH_START("int64", 2), PATCH_EMBEDDING("float32", 3), PATCH_END_LOGPROBS("float32", 3),
    // The rolling graph of a sliding-window BLT: positions, counts and the caches of each row's stream.
    BYTE_POS("int64", 1), PATCH_POS("int64", 1), PATCH_COUNTS("int64", 1), BYTE_CACHED("int64", 1),
    PATCH_CACHED("int64", 1), HISTORY("int64", 2),
    PAST_BYTE_KEY("float32", 5), PAST_BYTE_VALUE("float32", 5), PAST_LATENT_KEY("float32", 5),
    PAST_LATENT_VALUE("float32", 5), PREV_LATENT("float32", 2),
    PRESENT_BYTE_KEY("float32", 5), PRESENT_BYTE_VALUE("float32", 5), PRESENT_LATENT_KEY("float32", 5),
    PRESENT_LATENT_VALUE("float32", 5), LAST_LATENT("float32", 2);

    /** The name in the graph and in the manifest. */
    public final String id;
    public final String dtype;
    public final int rank;

    GraphTensor(String dtype, int rank) {
        this.id = name().toLowerCase(Locale.ROOT);
        this.dtype = dtype;
        this.rank = rank;
    }
}

package dev.blt.model;

import java.util.List;

/**
 * The inputs and outputs the Java runtime relies on in the two exported graphs (see
 * {@code model-export/blt_models/export.py}, ENTROPY_IO and BLT_IO). The manifest is checked
 * against these when it is loaded, and each session against them when it is opened, so a graph
 * exported under other names fails at startup rather than on the first record.
 */
public final class GraphIo {

    public static final String TOKENS = "tokens";
    public static final String PATCH_START = "patch_start";
    public static final String ENTROPY = "entropy";
    public static final String NEXT_LOGPROB = "next_logprob";
    public static final String HIDDEN = "hidden";
    public static final String PAST_KEY = "past_key";
    public static final String PAST_VALUE = "past_value";
    public static final String LAST_LOGP = "last_logp";
    public static final String PRESENT_KEY = "present_key";
    public static final String PRESENT_VALUE = "present_value";
    public static final String PATCH_EMBEDDING = "patch_embedding";
    public static final String PATCH_END_LOGPROBS = "patch_end_logprobs";

    /** One tensor of a graph: its name, element type as the manifest spells it, and rank. */
    public record Tensor(String name, String dtype, int rank) {}

    /** The tensors one graph must take and produce. */
    public record Graph(List<Tensor> inputs, List<Tensor> outputs) {}

    public static final Graph ENTROPY_GRAPH = new Graph(
            List.of(new Tensor(TOKENS, "int64", 2)),
            List.of(new Tensor(ENTROPY, "float32", 2),
                    new Tensor(NEXT_LOGPROB, "float32", 2),
                    new Tensor(HIDDEN, "float32", 3)));

    /** The incremental entropy graph: continues a window from its cached attention keys and values. */
    public static final Graph ENTROPY_STEP_GRAPH = new Graph(
            List.of(new Tensor(TOKENS, "int64", 2), new Tensor(PAST_KEY, "float32", 5),
                    new Tensor(PAST_VALUE, "float32", 5)),
            List.of(new Tensor(ENTROPY, "float32", 2),
                    new Tensor(NEXT_LOGPROB, "float32", 2),
                    new Tensor(LAST_LOGP, "float32", 2),
                    new Tensor(PRESENT_KEY, "float32", 5),
                    new Tensor(PRESENT_VALUE, "float32", 5)));

    public static final Graph BLT_GRAPH = new Graph(
            List.of(new Tensor(TOKENS, "int64", 2), new Tensor(PATCH_START, "int64", 2)),
            List.of(new Tensor(PATCH_EMBEDDING, "float32", 3),
                    new Tensor(NEXT_LOGPROB, "float32", 2),
                    new Tensor(PATCH_END_LOGPROBS, "float32", 3)));

    private GraphIo() {}
}

package dev.blt.cli;

import dev.blt.flink.BltStageOperator;
import picocli.CommandLine.Option;

/**
 * What the BLT stage's outputs hold, the same for `blt run` and `blt embed` (a picocli mixin): the
 * predictions' top-k and greedy continuation, and the records' novelty window.
 */
public class BltOutputOptions {

    @Option(names = "--top-k", defaultValue = "5",
            description = "Most likely next bytes in each patch's prediction (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--continuation-bytes", defaultValue = "0", paramLabel = "N",
            description = "Greedy continuation of each patch in its prediction; 0 = off. Costs one BLT call per byte "
                    + "(default: ${DEFAULT-VALUE}).")
    int continuationBytes;

    @Option(names = "--novelty-window", defaultValue = "" + BltStageOperator.DEFAULT_NOVELTY_WINDOW, paramLabel = "N",
            description = "Record segmentation: a record's novelty is 1 - its embedding's highest cosine similarity to "
                    + "the last N records of its key (about N x d_latent bytes of state per key in the job); 0 = off "
                    + "(default: ${DEFAULT-VALUE}).")
    int noveltyWindow;
}

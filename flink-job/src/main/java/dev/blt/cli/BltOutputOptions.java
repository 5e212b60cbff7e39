package dev.blt.cli;

import dev.blt.flink.BltStageOperator;
import picocli.CommandLine.Option;

/**
 * What the BLT stage's outputs hold, the same for `blt run` and `blt embed` (a picocli mixin): the
 * predictions' top-k and greedy continuation, and the records' novelty window.
 */
public class BltOutputOptions {

    @Option(names = "--top-k", defaultValue = "5") int topK;
    @Option(names = "--continuation-bytes", defaultValue = "0", paramLabel = "N") int continuationBytes;
    @Option(names = "--novelty-window", defaultValue = "" + BltStageOperator.DEFAULT_NOVELTY_WINDOW, paramLabel = "N") int noveltyWindow;
}

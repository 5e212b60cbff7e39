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

    /** Refuses a continuation longer than the model's BLT graph can pool onto a patch, before any task starts. */
    void check(dev.blt.model.ModelManifest manifest) {
        int most = manifest.maxContinuationBytes();
        if (continuationBytes > most) {
            throw new IllegalArgumentException("--continuation-bytes " + continuationBytes + ": model " + manifest.modelId()
                    + " continues a patch by at most " + most + " bytes (its BLT graph pools patches of up to "
                    + manifest.maxPooledPatchBytes() + " bytes, and a patch already holds up to "
                    + manifest.patching().maxPatchLength() + ")");
        }
    }
}

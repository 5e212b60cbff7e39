package dev.blt.bltstage;

import java.util.ArrayList;
import java.util.List;

/** Runs the pending windows of many encoders in one batched BLT call. */
public final class BatchedBltStages {

    private BatchedBltStages() {
    }

    /**
     * Per encoder, the outputs of its newly added patches, in order. Rounds of one batched call each,
     * until no encoder has a window left: aligned blocks need one; a rolling stage whose new patches
     * exceed one call continues from the cache the round before left it.
     */
    public static List<List<PatchOutputs>> runAll(List<BltStage> encoders, BltScorer scorer) {
        List<List<PatchOutputs>> results = new ArrayList<>(encoders.size());
        encoders.forEach(e -> results.add(new ArrayList<>()));
        while (true) {
            List<List<BltStage.Window>> perEncoder = new ArrayList<>(encoders.size());
            List<BltStage.Window> all = new ArrayList<>();
            for (BltStage e : encoders) {
                List<BltStage.Window> windows = e.windowsToRun();
                perEncoder.add(windows);
                all.addAll(windows);
            }
            if (all.isEmpty()) {
                return results;
            }
            List<BltScorer.Outputs> outputs = scorer.score(all);
            int next = 0;
            for (int i = 0; i < encoders.size(); i++) {
                int n = perEncoder.get(i).size();
                if (n > 0) {
                    results.get(i).addAll(encoders.get(i).accept(perEncoder.get(i), outputs.subList(next, next + n)));
                }
                next += n;
            }
        }
    }
}

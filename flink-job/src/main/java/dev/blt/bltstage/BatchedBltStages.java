package dev.blt.bltstage;

import java.util.ArrayList;
import java.util.List;

/** Runs the pending windows of many encoders in one batched BLT call. */
public final class BatchedBltStages {

    private BatchedBltStages() {
    }

    /** Per encoder, the outputs of its newly added patches, in order. */
    public static List<List<PatchOutputs>> runAll(List<BltStage> encoders, BltScorer scorer) {
        List<List<BltStage.Window>> perEncoder = new ArrayList<>(encoders.size());
        List<BltStage.Window> all = new ArrayList<>();
        for (BltStage e : encoders) {
            List<BltStage.Window> windows = e.windowsToRun();
            perEncoder.add(windows);
            all.addAll(windows);
        }
        List<BltScorer.Outputs> outputs = all.isEmpty() ? List.of() : scorer.score(all);
        List<List<PatchOutputs>> results = new ArrayList<>(encoders.size());
        int next = 0;
        for (int i = 0; i < encoders.size(); i++) {
            int n = perEncoder.get(i).size();
            results.add(encoders.get(i).accept(perEncoder.get(i), outputs.subList(next, next + n)));
            next += n;
        }
        return results;
    }
}

package dev.blt.encoding;

import java.util.ArrayList;
import java.util.List;

/** Runs the pending windows of many encoders in one batched BLT call. */
public final class BatchEncoding {

    private BatchEncoding() {
    }

    /** Per encoder, the outputs of its newly added patches, in order. */
    public static List<List<EncodedPatch>> runAll(List<PatchEncoder> encoders, BltScorer scorer) {
        List<List<PatchEncoder.Window>> perEncoder = new ArrayList<>(encoders.size());
        List<PatchEncoder.Window> all = new ArrayList<>();
        for (PatchEncoder e : encoders) {
            List<PatchEncoder.Window> windows = e.windowsToRun();
            perEncoder.add(windows);
            all.addAll(windows);
        }
        List<BltScorer.Outputs> outputs = all.isEmpty() ? List.of() : scorer.score(all);
        List<List<EncodedPatch>> results = new ArrayList<>(encoders.size());
        int next = 0;
        for (int i = 0; i < encoders.size(); i++) {
            int n = perEncoder.get(i).size();
            results.add(encoders.get(i).accept(perEncoder.get(i), outputs.subList(next, next + n)));
            next += n;
        }
        return results;
    }
}

package dev.blt.testing;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.CloseReason;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.PatchingRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a stream's patches are when a job switches models at a savepoint (docs/DESIGN.md, "Model
 * rollout"), computed offline: the old model's patches of the bytes before the switch, the last
 * one closed where they end; then, from there, the new model's patching rule on the new model's
 * entropies over the whole stream (its earlier bytes as context). The last patch is closed as if
 * the stream ended (END_OF_STREAM). A new model with other windows ({@link #afresh}) instead
 * patches the bytes after the switch as a stream of their own, its offsets and patch indices
 * continuing the old model's.
 */
public final class ModelSwitchDefinition {

    private ModelSwitchDefinition() {
    }

    public static List<ClosedPatch> patches(byte[] before, byte[] after, LoadedModel oldModel, LoadedModel newModel) {
        List<ClosedPatch> out = oldModelsPatches(before, oldModel);
        byte[] whole = Arrays.copyOf(before, before.length + after.length);
        System.arraycopy(after, 0, whole, before.length, after.length);
        float[] h = new float[whole.length];
        float[] lp = new float[whole.length];
        int t = 0;
        for (ClosedPatch p : new OfflinePatcher(newModel.patcherSettings(), newModel.entropyScorer())
                .patchStream(List.of(whole))) {
            System.arraycopy(p.entropies(), 0, h, t, p.length());
            System.arraycopy(p.logprobs(), 0, lp, t, p.length());
            t += p.length();
        }
        PatchingRule rule = newModel.patcherSettings().rule();
        long index = out.size();
        int start = before.length;
        for (int b = start + 1; b <= whole.length; b++) {
            CloseReason reason = b == whole.length ? CloseReason.END_OF_STREAM : rule.startsNewPatch(h[b], h[b - 1], b - start);
            if (reason != null) {
                out.add(new ClosedPatch(index++, start, Arrays.copyOfRange(whole, start, b), Arrays.copyOfRange(h, start, b),
                        Arrays.copyOfRange(lp, start, b), reason));
                start = b;
            }
        }
        return out;
    }

    /** The switch to a model with other windows: after the switch, the new model's patches of the rest alone. */
    public static List<ClosedPatch> afresh(byte[] before, byte[] after, LoadedModel oldModel, LoadedModel newModel) {
        List<ClosedPatch> out = oldModelsPatches(before, oldModel);
        long index = out.size();
        for (ClosedPatch p : new OfflinePatcher(newModel.patcherSettings(), newModel.entropyScorer()).patchStream(List.of(after))) {
            out.add(new ClosedPatch(index++, before.length + p.startOffset(), p.bytes(), p.entropies(), p.logprobs(), p.reason()));
        }
        return out;
    }

    /** The old model's patches of the bytes before the switch, the last one closed there (MODEL_SWITCH). */
    private static List<ClosedPatch> oldModelsPatches(byte[] before, LoadedModel oldModel) {
        List<ClosedPatch> out = new ArrayList<>(new OfflinePatcher(oldModel.patcherSettings(), oldModel.entropyScorer())
                .patchStream(List.of(before)));
        if (!out.isEmpty()) {
            ClosedPatch last = out.remove(out.size() - 1);
            out.add(new ClosedPatch(last.patchIndex(), last.startOffset(), last.bytes(), last.entropies(), last.logprobs(),
                    CloseReason.MODEL_SWITCH));
        }
        return out;
    }
}

package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.bltstage.BltStage;
import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped BLT graph pools patches of up to models.blt.config.max_pooled_patch_bytes exactly (a
 * fixed number of doubling steps): a longer patch is refused with its reason, never pooled short,
 * and a greedy continuation that could outgrow it is refused before anything runs.
 */
class BltPatchLimitsIT {

    @Test
    void aPatchLongerThanTheGraphPoolsIsRefusedAndOneAtTheLimitRuns() {
        LoadedModel model = ModelFolders.load(ModelFolders.shipped());
        int most = model.manifest().maxPooledPatchBytes();
        assertEquals(128, most);
        assertEquals(1, model.bltScorer().score(List.of(window(most))).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.bltScorer().score(List.of(window(most + 1))));
        assertTrue(e.getMessage().contains("holds " + (most + 1) + " tokens, more than the " + most)
                && e.getMessage().contains("max_pooled_patch_bytes"), e.getMessage());
        // An older graph (blt-tiny: max-pool under a mask) takes any length.
        assertEquals(Integer.MAX_VALUE, ModelFolders.load(ModelFolders.tiny()).manifest().maxPooledPatchBytes());
    }

    @Test
    void aContinuationTheGraphCouldNotPoolIsRefusedUpFront() {
        LoadedModel model = ModelFolders.load(ModelFolders.shipped());
        int most = model.manifest().maxContinuationBytes();
        assertEquals(128 - model.manifest().patching().maxPatchLength(), most);
        BltOutputOptions options = new BltOutputOptions();
        options.continuationBytes = most;
        options.check(model.manifest());
        options.continuationBytes = most + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options.check(model.manifest()));
        assertTrue(e.getMessage().startsWith("--continuation-bytes " + (most + 1) + ": model ")
                && e.getMessage().contains("at most " + most + " bytes"), e.getMessage());
    }

    /** One document: two 3-byte patches, then one of {@code length} tokens. */
    private static BltStage.Window window(int length) {
        long[] tokens = new long[6 + length];
        Arrays.fill(tokens, 'a' + 4);
        return new BltStage.Window(0, 0, false, 3, tokens, new long[] {0, 3, 6});
    }
}

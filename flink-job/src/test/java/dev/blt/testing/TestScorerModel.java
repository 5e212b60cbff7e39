package dev.blt.testing;

import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.model.OperatorModel;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.PatchingRule;

/**
 * An {@link OperatorModel.Source} for operator tests: the entropy patcher runs on
 * {@link ByteRuleScorer} with the given rule and windows, no model loaded. It has no BLT stage.
 */
public record TestScorerModel(double theta, double thetaMonotonic, int maxPatchLength, int contextBytes,
                              int blockBytes) implements OperatorModel.Source {

    public static final String MODEL_ID = "byte-rule-test-scorer";

    @Override
    public OperatorModel open() {
        PatcherSettings settings = ByteRuleScorer.settings(new PatchingRule(theta, thetaMonotonic, maxPatchLength),
                contextBytes, blockBytes);
        ByteRuleScorer scorer = new ByteRuleScorer();
        return new OperatorModel() {
            @Override
            public String modelId() {
                return MODEL_ID;
            }

            @Override
            public PatcherSettings patcherSettings() {
                return settings;
            }

            @Override
            public EntropyScorer entropyScorer() {
                return scorer;
            }

            @Override
            public long windowCacheBytes() {
                return 1024;
            }

            @Override
            public BltStageSettings encoderSettings() {
                throw new UnsupportedOperationException("the test scorer has no BLT stage");
            }

            @Override
            public BltScorer bltScorer() {
                throw new UnsupportedOperationException("the test scorer has no BLT stage");
            }

            @Override
            public int byteOffset() {
                return ByteRuleScorer.BYTE_OFFSET;
            }

            @Override
            public void release() {
            }
        };
    }
}

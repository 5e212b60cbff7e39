package dev.blt.model;

import ai.onnxruntime.OrtException;
import dev.blt.bltstage.BltRollingShape;
import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.BltStage;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.StepScorer;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.PatchingRule;
import dev.blt.patching.RollingScorer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A verified model bundle with its runners, and the patcher settings its manifest defines. The
 * BLT runner opens on first use, so a patch-only job never loads the BLT graph.
 *
 * <p>One instance per {@link ModelSource} per JVM, reference counted like the sessions beneath it
 * (see {@link InferenceSessions} for why sessions must not outlive a Flink job).
 */
public final class LoadedModel implements OperatorModel {

    private static final Map<ModelSource, LoadedModel> LOADED = new HashMap<>();

    private final ModelSource source;
    private int references;

    private final ModelBundle bundle;
    private final SessionSettings sessionSettings;
    private final PatcherSettings patcherSettings;
    private final EntropyModelRunner entropyRunner;
    private final EntropyStepRunner stepRunner; // null for models without the incremental graph
    private final EntropyRollingRunner rollingRunner; // null for models that stream in aligned blocks
    private final EntropyScorer entropyScorer;
    private volatile BltModelRunner bltRunner;
    private volatile BltRollingRunner bltRollingRunner;

    private LoadedModel(ModelSource source, ModelBundle bundle, SessionSettings sessionSettings, Double thetaOverride)
            throws OrtException {
        this.source = source;
        this.bundle = bundle;
        this.sessionSettings = sessionSettings;
        ModelManifest m = bundle.manifest();
        double theta = thetaOverride != null ? thetaOverride : m.patching().theta();
        double monotonic = m.patching().thetaMonotonic() == null ? Double.NaN : m.patching().thetaMonotonic();
        this.patcherSettings = new PatcherSettings(new PatchingRule(theta, monotonic, m.patching().maxPatchLength()),
                m.streaming().entropyContextBytes(), m.streaming().entropyBlockBytes(), m.tokens().bos(),
                m.tokens().byteOffset(), (byte) m.streaming().recordSeparatorByte(), m.rollingWindow());
        this.entropyRunner = InferenceSessions.entropyRunner(bundle, sessionSettings, EntropyModelRunner.DEFAULT_TOKEN_BUDGET);
        this.stepRunner = InferenceSessions.entropyStepRunner(bundle, sessionSettings);
        this.rollingRunner = InferenceSessions.entropyRollingRunner(bundle, sessionSettings,
                EntropyModelRunner.DEFAULT_TOKEN_BUDGET);
        this.entropyScorer = withSteps(entropyRunner, stepRunner, rollingRunner);
    }

    /** {@code scorer}, continuing open blocks with {@code steps}, or streams with {@code rolling}, when there is one. */
    static EntropyScorer withSteps(EntropyScorer scorer, StepScorer steps, RollingScorer rolling) {
        if (steps == null && rolling == null) {
            return scorer;
        }
        return new EntropyScorer() {
            @Override
            public List<Scores> score(List<long[]> windows) {
                return scorer.score(windows);
            }

            @Override
            public StepScorer stepper() {
                return steps;
            }

            @Override
            public RollingScorer rolling() {
                return rolling;
            }
        };
    }

    static LoadedModel acquire(ModelSource source) {
        synchronized (LOADED) {
            LoadedModel model = LOADED.get(source);
            if (model == null) {
                try {
                    SessionSettings settings = new SessionSettings(Device.parse(source.device()), source.intraOpThreads());
                    model = new LoadedModel(source, source.bundle(), settings, source.thetaOverride());
                } catch (OrtException e) {
                    throw new ModelLoadException("cannot start ONNX Runtime for " + source.describe() + ": "
                            + e.getMessage(), e);
                }
                LOADED.put(source, model);
            }
            model.references++;
            return model;
        }
    }

    /** Gives back one {@link ModelSource#open()}; the last release closes the sessions. */
    @Override
    public void release() {
        synchronized (LOADED) {
            if (--references > 0) {
                return;
            }
            LOADED.remove(source);
            entropyRunner.close();
            if (stepRunner != null) {
                stepRunner.close();
            }
            if (rollingRunner != null) {
                rollingRunner.close();
            }
            if (bltRunner != null) {
                bltRunner.close();
            }
            if (bltRollingRunner != null) {
                bltRollingRunner.close();
            }
        }
    }

    public ModelManifest manifest() {
        return bundle.manifest();
    }

    @Override
    public String windows() {
        return manifest().windowsDescription();
    }

    @Override
    public ModelManifest.HeldOutFigures heldOutFigures() {
        return manifest().heldOutFigures();
    }

    @Override
    public int byteOffset() {
        return bundle.manifest().tokens().byteOffset();
    }

    @Override
    public String modelId() {
        return bundle.manifest().modelId();
    }

    @Override
    public PatcherSettings patcherSettings() {
        return patcherSettings;
    }

    @Override
    public EntropyScorer entropyScorer() {
        return entropyScorer;
    }

    /**
     * Heap one live patcher may hold at most: its rolling cache (keys and values of W - 1 positions
     * in every layer), or its window cache at a full window (BOS + C + B positions) when the model
     * has the incremental graph, and a floor for its buffers either way.
     */
    @Override
    public long windowCacheBytes() {
        long floor = 16L << 10;
        Map<String, Object> config = manifest().models().entropy().config();
        if (rollingRunner != null) {
            long perPosition = 2L * rollingRunner.window().layers() * ((Number) config.get("d_model")).intValue();
            return floor + 4L * rollingRunner.window().cachedPositions() * perPosition;
        }
        if (stepRunner == null) {
            return floor;
        }
        long positions = patcherSettings.maxWindowTokens();
        long perPosition = 2L * ((Number) config.get("n_layers")).intValue() * ((Number) config.get("d_model")).intValue();
        return floor + 4L * (positions * perPosition + manifest().tokens().vocabSize());
    }

    public EntropyModelRunner entropyRunner() {
        return entropyRunner;
    }

    /**
     * The BLT graphs as the BLT-stage core calls them, opened on first use: rolling windows go to the
     * rolling graph, one-pass windows (aligned blocks, greedy continuations) to the one-pass graph.
     */
    @Override
    public BltScorer bltScorer() {
        if (bundle.manifest().bltRollingShape() == null) {
            return bltRunner();
        }
        return windows -> {
            List<BltStage.Window> rolling = windows.stream().filter(w -> w.rolling() != null).toList();
            if (rolling.size() == windows.size()) {
                return bltRollingRunner().score(windows);
            }
            List<BltStage.Window> onePass = windows.stream().filter(w -> w.rolling() == null).toList();
            Iterator<BltScorer.Outputs> fromRolling = rolling.isEmpty() ? null : bltRollingRunner().score(rolling).iterator();
            Iterator<BltScorer.Outputs> fromOnePass = bltRunner().score(onePass).iterator();
            List<BltScorer.Outputs> out = new ArrayList<>(windows.size());
            windows.forEach(w -> out.add(w.rolling() != null ? fromRolling.next() : fromOnePass.next()));
            return out;
        };
    }

    /** Heap one stream's rolling BLT cache holds; 0 when the BLT stage runs in aligned blocks. */
    @Override
    public long bltCacheBytes() {
        BltRollingShape shape = bundle.manifest().bltRollingShape();
        return shape == null ? 0 : shape.cacheBytes(bundle.manifest().tokens().vocabSize());
    }

    public BltRollingRunner bltRollingRunner() {
        BltRollingRunner runner = bltRollingRunner;
        if (runner == null) {
            synchronized (this) {
                if (bltRollingRunner == null) {
                    try {
                        bltRollingRunner = InferenceSessions.bltRollingRunner(bundle, sessionSettings,
                                BltModelRunner.DEFAULT_TOKEN_BUDGET);
                    } catch (OrtException e) {
                        throw new ModelLoadException("cannot open the rolling BLT graph of " + bundle.location(), e);
                    }
                }
                runner = bltRollingRunner;
            }
        }
        return runner;
    }

    @Override
    public BltStageSettings encoderSettings() {
        ModelManifest m = bundle.manifest();
        return new BltStageSettings(m.streaming().bltContextPatches(), m.streaming().bltBlockPatches(), m.tokens().bos(),
                m.tokens().byteOffset(), (byte) m.streaming().recordSeparatorByte(), m.bltRollingShape());
    }

    public BltModelRunner bltRunner() {
        BltModelRunner runner = bltRunner;
        if (runner == null) {
            synchronized (this) {
                if (bltRunner == null) {
                    try {
                        bltRunner = InferenceSessions.bltRunner(bundle, sessionSettings, BltModelRunner.DEFAULT_TOKEN_BUDGET);
                    } catch (OrtException e) {
                        throw new ModelLoadException("cannot open the BLT graph of " + bundle.location(), e);
                    }
                }
                runner = bltRunner;
            }
        }
        return runner;
    }
}

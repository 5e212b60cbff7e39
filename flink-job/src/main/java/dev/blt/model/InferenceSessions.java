package dev.blt.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JVM-wide registry of ONNX Runtime sessions: one session per (graph checksum, device,
 * intra-op threads), shared by every caller in the JVM (docs/DESIGN.md, "Devices and batching":
 * one session per TaskManager, shared across slots).
 *
 * <p>Sessions are reference counted and closed when the last holder releases its
 * {@link SharedSession}. Keeping them until JVM exit would be simpler, but in Flink this class is
 * usually loaded by a job's user-code class loader: a session that outlived its job would pin that
 * loader and the session's native memory for the life of the TaskManager, once per resubmission.
 * Reference counting lets each job's last closing operator free its sessions, while operators of a
 * running job (and a restarted task within it) still share one.
 *
 * <p>The key is the file's SHA-256 rather than its path, so the bundled default model and the
 * same model given with {@code --model DIR} share one session. Thread settings are part of the key
 * so that no caller silently gets a session configured differently from what it asked for.
 *
 * <p>CPU sessions are called concurrently ({@code OrtSession.run} is thread-safe, and each call
 * runs on its caller's thread). Calls to CUDA sessions are serialised with one lock per GPU across
 * all sessions on it: concurrent runs on one GPU would only compete for the same device memory and
 * streams, and batching across keys (not across threads) is what keeps the GPU busy.
 */
public final class InferenceSessions {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceSessions.class);

    /** A folder: every session writes ONNX Runtime's per-node profile there when it closes (for benchmarks). */
    static final String PROFILE_ENV = "BLT_ORT_PROFILE_DIR";

    private static final Map<Key, Entry> SESSIONS = new HashMap<>();
    private static final Map<Integer, ReentrantLock> GPU_LOCKS = new ConcurrentHashMap<>();

    private InferenceSessions() {}

    /** Identity of a shared session. */
    record Key(String sha256, Device device, int intraOpThreads) {}

    private static final class Entry {
        final OrtSession session;
        int holders;

        Entry(OrtSession session) {
            this.session = session;
        }
    }

    /**
     * Returns a handle on the session for {@code model} under {@code settings}, opening it if no
     * caller holds one. Close the handle when done; the session closes with its last handle.
     *
     * @throws ModelLoadException when CUDA is asked for but unavailable
     * @throws OrtException when ONNX Runtime cannot load the graph
     */
    public static SharedSession acquire(ModelBundle.ModelFile model, SessionSettings settings) throws OrtException {
        Key key = new Key(model.sha256(), settings.device(), settings.intraOpThreads());
        // Opening under the registry lock keeps two slots from loading the same graph twice; it
        // only happens while operators open.
        synchronized (SESSIONS) {
            Entry entry = SESSIONS.get(key);
            if (entry == null) {
                entry = new Entry(open(model, settings));
                SESSIONS.put(key, entry);
            }
            entry.holders++;
            // Fair, so that under load every slot gets its turn on the GPU in arrival order.
            ReentrantLock gpuLock = settings.device().isCuda()
                    ? GPU_LOCKS.computeIfAbsent(settings.device().gpu(), gpu -> new ReentrantLock(true))
                    : null;
            return new SharedSession(key, model.name(), entry.session, gpuLock);
        }
    }

    /** A batched runner on {@code bundle}'s entropy graph; closing it releases the session. */
    public static EntropyModelRunner entropyRunner(ModelBundle bundle, SessionSettings settings, long tokenBudget)
            throws OrtException {
        return acquireInto(bundle.entropyModel(), settings,
                session -> new EntropyModelRunner(session, bundle.manifest(), tokenBudget));
    }

    /** A batched runner on {@code bundle}'s BLT graph; closing it releases the session. */
    public static BltModelRunner bltRunner(ModelBundle bundle, SessionSettings settings, long tokenBudget)
            throws OrtException {
        return acquireInto(bundle.bltModel(), settings, session -> new BltModelRunner(session, bundle.manifest(), tokenBudget));
    }

    /** A runner on {@code bundle}'s rolling BLT graph, or null when its BLT stage runs in aligned blocks. */
    public static BltRollingRunner bltRollingRunner(ModelBundle bundle, SessionSettings settings, long tokenBudget)
            throws OrtException {
        ModelBundle.ModelFile file = bundle.bltRollingModel();
        return file == null ? null
                : acquireInto(file, settings, session -> new BltRollingRunner(session, bundle.manifest(), tokenBudget));
    }

    /** A runner on {@code bundle}'s one-byte step graph, or null when the model has none. */
    public static EntropyStepRunner entropyStepRunner(ModelBundle bundle, SessionSettings settings) throws OrtException {
        ModelBundle.ModelFile file = bundle.entropyStepModel();
        return file == null ? null
                : acquireInto(file, settings, session -> new EntropyStepRunner(session, bundle.manifest(), bundle.location()));
    }

    public static EntropyRollingRunner entropyRollingRunner(ModelBundle bundle, SessionSettings settings, long tokenBudget)
            throws OrtException {
        ModelBundle.ModelFile file = bundle.entropyRollingModel();
        return file == null ? null : acquireInto(file, settings,
                session -> new EntropyRollingRunner(session, bundle.manifest(), tokenBudget, bundle.location()));
    }

    /**
     * Acquires the session and hands it to {@code holder}, which takes it over; releases it again if
     * {@code holder} throws (a graph with the wrong signature, say), so no failed open leaks a share.
     */
    private static <R> R acquireInto(ModelBundle.ModelFile model, SessionSettings settings,
                             java.util.function.Function<SharedSession, R> holder) throws OrtException {
        SharedSession session = acquire(model, settings);
        try {
            return holder.apply(session);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Called once per handle by {@link SharedSession#close()}. */
    static void release(Key key) {
        synchronized (SESSIONS) {
            Entry entry = SESSIONS.get(key);
            if (entry == null) {
                throw new IllegalStateException("session " + key + " released more often than acquired");
            }
            if (--entry.holders == 0) {
                SESSIONS.remove(key);
                try {
                    entry.session.close();
                } catch (OrtException e) {
                    LOG.warn("closing ONNX Runtime session {} failed", key, e);
                }
            }
        }
    }

    /** Holders of the session for model under settings (0 when none is open); for tests. */
    static int holders(ModelBundle.ModelFile model, SessionSettings settings) {
        synchronized (SESSIONS) {
            Entry entry = SESSIONS.get(new Key(model.sha256(), settings.device(), settings.intraOpThreads()));
            return entry == null ? 0 : entry.holders;
        }
    }

    private static OrtSession open(ModelBundle.ModelFile model, SessionSettings settings) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(settings.intraOpThreads());
            // The graphs are one chain of operators: an inter-op pool would only add idle threads.
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            if (settings.device().isCuda()) {
                addCuda(options, settings.device(), model.name());
            }
            String profile = System.getenv(PROFILE_ENV);
            if (profile != null && !profile.isBlank()) {
                // ONNX Runtime writes <prefix>_<date>.json (Chrome trace: every node's time) when the session closes.
                options.enableProfiling(java.nio.file.Path.of(profile, model.name().replace(".onnx", "")).toString());
            }
            long start = System.nanoTime();
            OrtSession session = env.createSession(model.bytes(), options);
            LOG.info("opened ONNX Runtime session for {} (sha256 {}) on {} with {} intra-op thread(s) in {} ms",
                    model.name(), model.sha256().substring(0, 12), settings.device(), settings.intraOpThreads(),
                    (System.nanoTime() - start) / 1_000_000);
            return session;
        }
    }

    private static void addCuda(OrtSession.SessionOptions options, Device device, String modelName) {
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            throw new ModelLoadException("device " + device + " was requested for " + modelName + ", but this build's "
                    + "ONNX Runtime has no CUDA execution provider (available: "
                    + OrtEnvironment.getAvailableProviders() + "). Build the job with -Pgpu (onnxruntime_gpu) "
                    + "to run on a GPU, or use --device cpu.");
        }
        try {
            options.addCUDA(device.gpu());
        } catch (OrtException e) {
            throw new ModelLoadException("could not enable CUDA on " + device + " for " + modelName + ": "
                    + e.getMessage() + " (are the CUDA and cuDNN libraries that onnxruntime_gpu needs installed, "
                    + "and does GPU " + device.gpu() + " exist?)", e);
        }
    }
}

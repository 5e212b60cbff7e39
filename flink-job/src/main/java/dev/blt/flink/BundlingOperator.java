package dev.blt.flink;

import dev.blt.model.OperatorModel;
import dev.blt.model.ModelSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * A keyed operator that buffers work across keys into a bundle and runs the whole bundle at once:
 * the pattern of Flink's mini-batch operators (AbstractMapBundleOperator), which a keyed
 * ProcessFunction cannot express. The bundle runs at its byte bound, at its delay bound, before
 * every checkpoint barrier (so state is complete in every snapshot) and at end of input.
 *
 * <p>Keys that go quiet: each key has at most one processing-time timer. After
 * {@link BundleSettings#idleFlushMs()} without input it calls {@link #onIdle}; after the state TTL
 * it calls {@link #onExpired}, which must emit what is pending and clear the key's state, so that
 * state stays bounded however many keys come and go.
 *
 * @param <W> one key's pending work
 */
abstract class BundlingOperator<IN, OUT, W> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput, Triggerable<String, VoidNamespace> {

    private static final long serialVersionUID = 1L;

    protected final BundleSettings bundleSettings;
    private final OperatorModel.Source modelSource;
    private final long stateTtlMs;

    private transient ValueState<Long> lastActivity; // processing time of the key's last bundle
    private transient ValueState<Long> timerAt;      // the key's one registered timer
    private transient InternalTimerService<VoidNamespace> keyTimers;
    private transient Counter expiredKeys;

    /** The model, shared by every operator of this JVM; released on close. */
    protected transient OperatorModel model;

    private transient Map<String, W> bundle;
    private transient int bundleBytes;
    private transient boolean delayTimerSet;

    /** @param stateTtlMs a key without input for this long has its state cleared; 0 = never */
    BundlingOperator(OperatorModel.Source modelSource, BundleSettings bundleSettings, long stateTtlMs) {
        if (stateTtlMs < 0) {
            throw new IllegalArgumentException("state TTL must be >= 0 ms (0 = keep state forever), got " + stateTtlMs);
        }
        this.modelSource = modelSource;
        this.bundleSettings = bundleSettings;
        this.stateTtlMs = stateTtlMs;
    }

    @Override
    public void open() throws Exception {
        super.open();
        bundle = new LinkedHashMap<>();
        model = (modelSource instanceof ModelSource onnx ? resolveDevice(onnx) : modelSource).open();
        lastActivity = getRuntimeContext().getState(new ValueStateDescriptor<>("last-activity", LongSerializer.INSTANCE));
        timerAt = getRuntimeContext().getState(new ValueStateDescriptor<>("timer-at", LongSerializer.INSTANCE));
        keyTimers = getInternalTimerService("key-timers", VoidNamespaceSerializer.INSTANCE, this);
        expiredKeys = getMetricGroup().addGroup("blt").counter("expiredKeys");
    }

    /** "--device gpu": the GPU index comes from Flink's external resource "gpu" of this task. */
    private ModelSource resolveDevice(ModelSource source) {
        if (!ModelSource.FLINK_GPU.equals(source.device())) {
            return source;
        }
        for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos(ModelSource.FLINK_GPU)) {
            Optional<String> index = info.getProperty("index");
            if (index.isPresent()) {
                return source.withDevice("cuda:" + index.get());
            }
        }
        throw new IllegalStateException("--device gpu needs Flink's external resource 'gpu' (external-resources: gpu, "
                + "external-resource.gpu.amount, its driver factory and discovery script); none was given to this task");
    }

    @Override
    public void close() throws Exception {
        try {
            super.close();
        } finally {
            if (model != null) {
                model.release();
                model = null;
            }
        }
    }

    /** The current key's pending work, read from keyed state. */
    protected abstract W loadWork(String key) throws Exception;

    /** Adds an element to its key's work; returns the bytes it adds to the bundle (0 if none). */
    protected abstract int addToWork(W work, IN element) throws Exception;

    /** Runs every key's work in one batched model call, then emits and stores per key. */
    protected abstract void runBundle(Map<String, W> bundle) throws Exception;

    /** End of a bounded input, after the last bundle ran. */
    protected void onEndOfInput() throws Exception {
    }

    /** The current key had no input for the idle-flush time. */
    protected void onIdle(String key) throws Exception {
    }

    /** The current key had no input for the state TTL: emit what is pending, then clear its state. */
    protected abstract void onExpired(String key) throws Exception;

    /**
     * Records that the current key was active now (call it from {@link #runBundle} per key) and
     * makes sure its timer is armed. An armed timer that fires early re-arms itself from the latest
     * activity, so a key never has more than one timer. One armed later than this activity's idle
     * flush (the TTL timer armed after an earlier idle flush) is moved forward to it.
     */
    protected final void touch(long now) throws Exception {
        lastActivity.update(now);
        long first = bundleSettings.idleFlushMs() > 0 ? bundleSettings.idleFlushMs() : stateTtlMs;
        if (first <= 0) {
            return;
        }
        Long armed = timerAt.value();
        if (armed != null && armed > now + first) {
            keyTimers.deleteProcessingTimeTimer(VoidNamespace.INSTANCE, armed);
            armed = null;
        }
        if (armed == null) {
            arm(now + first);
        }
    }

    private void arm(long time) throws Exception {
        keyTimers.registerProcessingTimeTimer(VoidNamespace.INSTANCE, time);
        timerAt.update(time);
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        timerAt.clear();
        String key = timer.getKey();
        Long last = lastActivity.value();
        if (last == null || hasPendingWork(key)) {
            return; // gone, or input is pending: the bundle's touch() arms a new timer
        }
        long now = timer.getTimestamp();
        if (stateTtlMs > 0 && now >= last + stateTtlMs) {
            onExpired(key);
            lastActivity.clear();
            expiredKeys.inc();
            return;
        }
        long idle = bundleSettings.idleFlushMs();
        if (idle > 0 && now >= last + idle) {
            onIdle(key);
        }
        long next = Long.MAX_VALUE;
        if (idle > 0 && last + idle > now) {
            next = last + idle;
        }
        if (stateTtlMs > 0) {
            next = Math.min(next, last + stateTtlMs);
        }
        if (next != Long.MAX_VALUE) {
            arm(next);
        }
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) {
        // no event-time timers
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        String key = (String) getCurrentKey();
        W work = bundle.get(key);
        if (work == null) {
            work = loadWork(key);
            bundle.put(key, work);
        }
        bundleBytes += addToWork(work, element.getValue());
        if (bundleBytes >= bundleSettings.maxBytes()) {
            flushBundle();
        } else if (!delayTimerSet) {
            delayTimerSet = true;
            long now = getProcessingTimeService().getCurrentProcessingTime();
            getProcessingTimeService().registerTimer(now + bundleSettings.maxDelayMs(), t -> flushBundle());
        }
    }

    protected final boolean hasPendingWork(String key) {
        return bundle.containsKey(key);
    }

    protected final int pendingBytes() {
        return bundleBytes;
    }

    protected final void flushBundle() throws Exception {
        delayTimerSet = false;
        if (bundle.isEmpty()) {
            return;
        }
        runBundle(bundle);
        bundle.clear();
        bundleBytes = 0;
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flushBundle();
    }

    @Override
    public void endInput() throws Exception {
        flushBundle();
        onEndOfInput();
    }
}

package dev.blt.flink;

import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import java.util.LinkedHashMap;
import java.util.Optional;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import java.util.Map;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * A keyed operator that buffers work across keys into a bundle and runs the whole bundle at once:
 * the pattern of Flink's mini-batch operators (AbstractMapBundleOperator), which a keyed
 * ProcessFunction cannot express. The bundle runs at its byte bound, at its delay bound, before
 * every checkpoint barrier (so state is complete in every snapshot) and at end of input.
 *
 * @param <W> one key's pending work
 */
abstract class BundlingOperator<IN, OUT, W> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    protected final BundleSettings bundleSettings;
    private final ModelSource modelSource;

    /** The model, shared by every operator of this JVM; released on close. */
    protected transient LoadedModel model;

    private transient Map<String, W> bundle;
    private transient int bundleBytes;
    private transient boolean delayTimerSet;

    BundlingOperator(ModelSource modelSource, BundleSettings bundleSettings) {
        this.modelSource = modelSource;
        this.bundleSettings = bundleSettings;
    }

    @Override
    public void open() throws Exception {
        super.open();
        bundle = new LinkedHashMap<>();
        model = resolveDevice(modelSource).open();
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

package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.model.ModelSource;
import dev.blt.patching.BatchScoring;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.CloseReason;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.Segmentation;
import dev.blt.patching.StreamPatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The keyed entropy patcher: bundles bytes across keys and scores them in one batched call of the
 * entropy model (see {@link BundlingOperator}), then emits each patch the moment it closes.
 *
 * <p>State per key (stream segmentation): the patcher's snapshot, at most C + B bytes plus the open
 * patch, and the last sequence number seen. Record segmentation keeps only the next record index.
 */
public class EntropyPatcherOperator extends BundlingOperator<StreamChunk, PatchEvent, EntropyPatcherOperator.KeyWork>
        implements Triggerable<String, VoidNamespace> {

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("patcher-dead-letters") { };

    private static final long serialVersionUID = 1L;

    private final Segmentation segmentation;

    private transient PatcherSettings settings;
    private transient ValueState<byte[]> patcherState;
    private transient ValueState<Long> counterState; // last sequence (stream) or next record index (record)
    private transient ValueState<Long> idleDeadline;  // the latest idle-flush timer of the key
    private transient InternalTimerService<VoidNamespace> idleTimers;
    private transient PatcherMetrics metrics;

    /** Work of one key in the current bundle. */
    static final class KeyWork {
        StreamPatcher stream;
        long counter;
        final List<StreamPatcher> records = new ArrayList<>();
    }

    public EntropyPatcherOperator(ModelSource modelSource, Segmentation segmentation, BundleSettings bundleSettings) {
        super(modelSource, bundleSettings);
        this.segmentation = segmentation;
    }

    @Override
    public void open() throws Exception {
        super.open();
        settings = model.patcherSettings();
        patcherState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("patcher", BytePrimitiveArraySerializer.INSTANCE));
        counterState = getRuntimeContext().getState(new ValueStateDescriptor<>("counter", LongSerializer.INSTANCE));
        idleDeadline = getRuntimeContext().getState(new ValueStateDescriptor<>("idle-deadline", LongSerializer.INSTANCE));
        idleTimers = getInternalTimerService("idle-flush", VoidNamespaceSerializer.INSTANCE, this);
        metrics = new PatcherMetrics(getMetricGroup());
    }

    @Override
    protected KeyWork loadWork(String key) throws Exception {
        KeyWork work = new KeyWork();
        Long counter = counterState.value();
        if (segmentation == Segmentation.RECORD) {
            work.counter = counter == null ? 0 : counter;
        } else {
            work.counter = counter == null ? -1 : counter;
            byte[] snapshot = patcherState.value();
            work.stream = snapshot == null ? new StreamPatcher(settings) : StreamPatcher.restore(settings, snapshot);
        }
        return work;
    }

    @Override
    protected int addToWork(KeyWork work, StreamChunk chunk) {
        if (segmentation == Segmentation.RECORD) {
            StreamPatcher record = new StreamPatcher(settings);
            record.append(chunk.payload);
            work.records.add(record);
        } else {
            if (chunk.sequence >= 0) {
                if (chunk.sequence <= work.counter) {
                    deadLetter(chunk, "sequence " + chunk.sequence + " of stream '" + chunk.streamId + "' is not after "
                            + "the last accepted sequence " + work.counter + " (duplicate or out of order); not patched");
                    return 0;
                }
                work.counter = chunk.sequence;
            }
            work.stream.append(chunk.payload);
        }
        metrics.bytesIn(chunk.payload.length);
        return chunk.payload.length;
    }

    @Override
    protected void runBundle(Map<String, KeyWork> bundle) throws Exception {
        List<StreamPatcher> patchers = new ArrayList<>();
        for (KeyWork work : bundle.values()) {
            if (work.stream != null) {
                patchers.add(work.stream);
            }
            patchers.addAll(work.records);
        }
        long started = System.nanoTime();
        int windows = BatchScoring.scoreAll(patchers, model.entropyScorer());
        metrics.bundle(pendingBytes(), windows, System.nanoTime() - started);

        long now = getProcessingTimeService().getCurrentProcessingTime();
        for (Map.Entry<String, KeyWork> entry : bundle.entrySet()) {
            setCurrentKey(entry.getKey());
            KeyWork work = entry.getValue();
            if (segmentation == Segmentation.RECORD) {
                for (StreamPatcher record : work.records) {
                    List<ClosedPatch> patches = new ArrayList<>(record.drain());
                    patches.addAll(record.finish(CloseReason.END_OF_RECORD));
                    for (int i = 0; i < patches.size(); i++) {
                        emit(entry.getKey(), work.counter, patches.get(i), i == patches.size() - 1);
                    }
                    work.counter++;
                }
            } else {
                for (ClosedPatch patch : work.stream.drain()) {
                    emit(entry.getKey(), -1, patch, false);
                }
                patcherState.update(work.stream.snapshot());
                if (bundleSettings.idleFlushMs() > 0) {
                    idleDeadline.update(now + bundleSettings.idleFlushMs());
                    idleTimers.registerProcessingTimeTimer(VoidNamespace.INSTANCE, now + bundleSettings.idleFlushMs());
                }
            }
            counterState.update(work.counter);
        }
    }

    private void emit(String key, long recordIndex, ClosedPatch patch, boolean lastInRecord) {
        metrics.patch(patch);
        output.collect(new StreamRecord<>(PatchEvent.of(key, recordIndex, patch, lastInRecord, model.modelId())));
    }

    private void deadLetter(StreamChunk chunk, String reason) {
        metrics.deadLetter();
        output.collect(DEAD_LETTERS, new StreamRecord<>(DeadLetters.of(reason, chunk)));
    }

    @Override
    protected void onEndOfInput() throws Exception {
        if (segmentation == Segmentation.STREAM) {
            KeyedStateBackend<String> backend = getKeyedStateBackend();
            List<String> keys;
            try (var stream = backend.getKeys("patcher", VoidNamespace.INSTANCE)) {
                keys = stream.collect(Collectors.toList()); // copied: finishing a key writes state
            }
            for (String key : keys) {
                finishKey(key, CloseReason.END_OF_STREAM);
            }
        }
    }

    /** An idle key's timer fired: close its open patch unless it received bytes since. */
    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        if (hasPendingWork(timer.getKey())) {
            return; // new bytes are pending; the next bundle re-arms the timer
        }
        Long deadline = idleDeadline.value();
        if (deadline == null || timer.getTimestamp() < deadline) {
            return; // bytes arrived after this timer was set; a later timer is armed
        }
        finishKey(timer.getKey(), CloseReason.IDLE_FLUSH);
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) {
        // no event-time timers
    }

    private void finishKey(String key, CloseReason reason) throws Exception {
        setCurrentKey(key);
        byte[] snapshot = patcherState.value();
        if (snapshot == null) {
            return;
        }
        StreamPatcher patcher = StreamPatcher.restore(settings, snapshot);
        List<ClosedPatch> closed = patcher.finish(reason);
        for (ClosedPatch patch : closed) {
            emit(key, -1, patch, false);
        }
        if (!closed.isEmpty()) {
            patcherState.update(patcher.snapshot());
        }
    }
}

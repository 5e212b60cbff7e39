package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.bltstage.Predictions;
import dev.blt.model.OperatorModel;
import dev.blt.patching.BatchScoring;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.CloseReason;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.RecordContext;
import dev.blt.patching.RecordSpans;
import dev.blt.patching.Segmentation;
import dev.blt.patching.StreamPatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The keyed entropy patcher: bundles bytes across keys and scores them in one batched call of the
 * entropy model (see {@link BundlingOperator}), then emits each patch the moment it closes.
 *
 * <p>A bundle runs in rounds of at most {@link #SLICE_BYTES} per key, so a large record is scored
 * in slices and the model's working memory does not grow with record size; the patches are the
 * same as in one piece (the patcher is exact under any chunking).
 *
 * <p>In record segmentation with {@link RecordContext#CARRY} (the default) a key's records go
 * through one patcher, each followed by the record separator, so the model sees the lines before;
 * with RESET every record is scored alone.
 *
 * <p>State per key: the patcher's snapshot (at most C + B bytes plus the open patch) in stream
 * segmentation and with record context; in record segmentation the next record index; with Avro
 * input the last accepted sequence and producer session; the time of the last input (idle flush,
 * state TTL).
 */
public class EntropyPatcherOperator extends BundlingOperator<StreamChunk, PatchEvent, EntropyPatcherOperator.KeyWork> {

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("patcher-dead-letters") { };

    /** Bytes of one key scored per round: bounds the model call's memory for any record size. */
    static final int SLICE_BYTES = 64 * 1024;

    /** Default heap for the live patchers' window caches (see {@link #live}). */
    public static final long DEFAULT_WINDOW_CACHE_BYTES = 256L << 20;

    private static final long serialVersionUID = 1L;

    private final Segmentation segmentation;
    private final RecordContext recordContext;
    private final long windowCacheBytes;
    private DriftSettings driftSettings = DriftSettings.DEFAULT;

    private transient PatcherSettings settings;
    private transient ValueState<byte[]> patcherState;     // stream segmentation
    private transient ValueState<Long> nextRecordState;    // record segmentation
    private transient ValueState<Long> lastSequenceState;  // Avro input
    private transient ValueState<String> sessionState;     // Avro input with producer_session
    private transient ValueState<String> modelState;       // with patcher state: the model that wrote it (ModelTag)
    private transient String modelTag;
    private transient PatcherMetrics metrics;
    private transient DriftMonitor drift;
    private transient org.apache.flink.api.common.accumulators.LongCounter patchTotal;
    private transient org.apache.flink.api.common.accumulators.LongCounter deadLetterTotal;
    /**
     * The patchers of recently active keys, exactly as their state holds them (every change of the
     * state goes through here), with their window caches: a key's next record continues its open
     * block's window instead of re-running it. Bounded to what windowCacheBytes allows at full
     * windows, least recently used first out; an evicted key is restored from state and rebuilds
     * its cache, with the same output. Never checkpointed.
     */
    private transient java.util.LinkedHashMap<String, StreamPatcher> live;

    /** A run of bytes for one patcher: a whole chunk, cut into slices as the rounds go. */
    private static final class Piece {
        final StreamPatcher target;
        final byte[] bytes;
        int offset;
        final boolean endsRecord;
        final long record; // record segmentation with record context: its index; else -1

        Piece(StreamPatcher target, byte[] bytes, boolean endsRecord, long record) {
            this.target = target;
            this.bytes = bytes;
            this.endsRecord = endsRecord;
            this.record = record;
        }
    }

    /** A record's patcher and its index (record segmentation). */
    private record Document(StreamPatcher patcher, long recordIndex) {
    }

    /** Work of one key in the current bundle. */
    static final class KeyWork {
        boolean tagged; // the key's patcher state carries this model's tag (ModelTag)
        String key;
        StreamPatcher stream;   // stream segmentation, and record segmentation with record context
        RecordSpans spans;      // record segmentation with record context
        long nextRecord;
        Long lastSequence;
        String session;
        final ArrayDeque<Piece> pieces = new ArrayDeque<>();
        final List<Document> documents = new ArrayList<>();
        final Set<StreamPatcher> ended = new java.util.HashSet<>();
        final List<StreamChunk> chunks = new ArrayList<>(); // for the dead-letter topic if the model fails
        final Set<StreamPatcher> touched = new LinkedHashSet<>();
    }

    public EntropyPatcherOperator(OperatorModel.Source modelSource, Segmentation segmentation, BundleSettings bundleSettings) {
        this(modelSource, segmentation, bundleSettings, 0);
    }

    public EntropyPatcherOperator(OperatorModel.Source modelSource, Segmentation segmentation, BundleSettings bundleSettings,
                                  long stateTtlMs) {
        this(modelSource, segmentation, RecordContext.CARRY, bundleSettings, stateTtlMs);
    }

    public EntropyPatcherOperator(OperatorModel.Source modelSource, Segmentation segmentation, RecordContext recordContext,
                                  BundleSettings bundleSettings, long stateTtlMs) {
        this(modelSource, segmentation, recordContext, bundleSettings, stateTtlMs, DEFAULT_WINDOW_CACHE_BYTES);
    }

    public EntropyPatcherOperator(OperatorModel.Source modelSource, Segmentation segmentation, RecordContext recordContext,
                                  BundleSettings bundleSettings, long stateTtlMs, long windowCacheBytes) {
        super(modelSource, bundleSettings, stateTtlMs);
        if (windowCacheBytes < 0) {
            throw new IllegalArgumentException("window cache must be >= 0 bytes, got " + windowCacheBytes);
        }
        this.segmentation = segmentation;
        this.recordContext = recordContext;
        this.windowCacheBytes = windowCacheBytes;
    }

    /** How this operator watches its streams drift from the model (default {@link DriftSettings#DEFAULT}). */
    public EntropyPatcherOperator withDrift(DriftSettings settings) {
        this.driftSettings = java.util.Objects.requireNonNull(settings, "drift settings");
        return this;
    }

    private boolean carriesRecordContext() {
        return segmentation == Segmentation.RECORD && recordContext == RecordContext.CARRY;
    }

    @Override
    public void open() throws Exception {
        super.open();
        settings = model.patcherSettings();
        patcherState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("patcher", BytePrimitiveArraySerializer.INSTANCE));
        nextRecordState = getRuntimeContext().getState(new ValueStateDescriptor<>("next-record", LongSerializer.INSTANCE));
        lastSequenceState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("last-sequence", LongSerializer.INSTANCE));
        sessionState = getRuntimeContext().getState(new ValueStateDescriptor<>("producer-session", StringSerializer.INSTANCE));
        modelState = getRuntimeContext().getState(new ValueStateDescriptor<>("patcher-model", StringSerializer.INSTANCE));
        modelTag = ModelTag.of(model);
        metrics = new PatcherMetrics(getMetricGroup());
        dev.blt.model.ModelManifest.HeldOutFigures heldOut = model.heldOutFigures();
        drift = new DriftMonitor("entropy model", model.modelId(), heldOut == null ? null : heldOut.entropyModelBitsPerByte(),
                driftSettings, getMetricGroup().addGroup("blt"), "entropyModel", true);
        patchTotal = RunTotal.PATCHES.counter(getRuntimeContext());
        deadLetterTotal = RunTotal.DEAD_LETTERS.counter(getRuntimeContext());
        int maxLive = (int) Math.min(Integer.MAX_VALUE, windowCacheBytes / Math.max(1, model.windowCacheBytes()));
        live = new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, StreamPatcher> eldest) {
                return size() > maxLive;
            }
        };
    }

    /**
     * The key's patcher: the live one, or restored from state (a new one when there is none). State
     * another model wrote is switched over (see {@link ModelTag}): with the same windows its open
     * patch closes where the stream stands (emitted now) and the new model scores from there; with
     * other windows it closes there too, and the new model starts the stream afresh from there.
     */
    private StreamPatcher patcherOf(String key, long recordIndex) throws Exception {
        StreamPatcher patcher = live.get(key);
        if (patcher != null) {
            return patcher;
        }
        byte[] snapshot = patcherState.value();
        if (snapshot == null) {
            return new StreamPatcher(settings);
        }
        ModelTag.Change change = ModelTag.change(modelState.value(), modelTag);
        List<ClosedPatch> closed;
        if (change == ModelTag.Change.OTHER_WINDOWS) {
            StreamPatcher.Handover handover = StreamPatcher.startAfresh(settings, snapshot);
            patcher = handover.patcher();
            closed = handover.closed();
        } else {
            patcher = StreamPatcher.restore(settings, snapshot);
            if (change == ModelTag.Change.NONE) {
                return patcher;
            }
            closed = patcher.finish(CloseReason.MODEL_SWITCH);
            patcher.forgetLookahead();
        }
        ModelTag.LOG.info("stream '{}': switched from {} to {} at byte offset {} (patch index {}){}{}", key,
                ModelTag.modelId(modelState.value()), model.modelId(), patcher.received(),
                closed.isEmpty() ? patcher.nextPatchIndex() : closed.get(0).patchIndex(),
                closed.isEmpty() ? "" : "; the old model's open patch of " + closed.get(0).length() + " bytes closed there",
                change == ModelTag.Change.OTHER_WINDOWS
                        ? "; other windows: the new model starts the stream afresh there, without its earlier bytes as context" : "");
        for (ClosedPatch p : closed) {
            emit(key, recordIndex, p, false);
        }
        return patcher;
    }

    @Override
    protected KeyWork loadWork(String key) throws Exception {
        KeyWork work = new KeyWork();
        work.key = key;
        work.lastSequence = lastSequenceState.value();
        work.session = sessionState.value();
        if (segmentation == Segmentation.RECORD) {
            Long next = nextRecordState.value();
            work.nextRecord = next == null ? 0 : next;
        }
        if (segmentation == Segmentation.STREAM || carriesRecordContext()) {
            // a live patcher's tag was written with it; a restored one is retagged below when it changed
            work.tagged = live.containsKey(key) || modelTag.equals(modelState.value());
            // with record context a record's patches close at its end: nothing is open between records
            work.stream = patcherOf(key, segmentation == Segmentation.STREAM ? -1 : work.nextRecord - 1);
        }
        if (carriesRecordContext()) {
            work.spans = new RecordSpans();
        }
        return work;
    }

    @Override
    protected int addToWork(KeyWork work, StreamChunk chunk) {
        if (chunk.sequence() >= 0) {
            boolean newSession = chunk.producerSession() != null && !chunk.producerSession().equals(work.session);
            if (!newSession && work.lastSequence != null && chunk.sequence() <= work.lastSequence) {
                deadLetter(chunk, "sequence " + chunk.sequence() + " of stream '" + chunk.streamId() + "'"
                        + (work.session == null ? "" : " (producer session '" + work.session + "')")
                        + " is not after the last accepted sequence " + work.lastSequence
                        + " (a replay or out of order; a restarted producer sets a new producer_session); not patched");
                return 0;
            }
            work.lastSequence = chunk.sequence();
            if (newSession) {
                work.session = chunk.producerSession();
            }
        }
        work.chunks.add(chunk);
        if (carriesRecordContext()) {
            work.pieces.add(new Piece(work.stream, chunk.payload(), true, work.nextRecord++));
        } else if (segmentation == Segmentation.RECORD) {
            StreamPatcher record = new StreamPatcher(settings);
            work.documents.add(new Document(record, work.nextRecord++));
            work.pieces.add(new Piece(record, chunk.payload(), true, -1));
        } else {
            work.pieces.add(new Piece(work.stream, chunk.payload(), false, -1));
        }
        metrics.bytesIn(chunk.payload().length);
        return chunk.payload().length;
    }

    @Override
    protected void runBundle(Map<String, KeyWork> bundle) throws Exception {
        long started = System.nanoTime();
        int windows = 0;
        List<KeyWork> active = new ArrayList<>(bundle.values());
        while (!active.isEmpty()) {
            for (KeyWork work : active) {
                appendSlice(work);
            }
            windows += scoreIsolating(active);
            for (KeyWork work : active) {
                if (!work.chunks.isEmpty()) { // not failed
                    setCurrentKey(work.key);
                    emitClosed(work);
                }
            }
            active.removeIf(work -> work.pieces.isEmpty());
        }
        metrics.bundle(pendingBytes(), windows, System.nanoTime() - started);

        long now = getProcessingTimeService().getCurrentProcessingTime();
        for (KeyWork work : bundle.values()) {
            setCurrentKey(work.key);
            if (segmentation == Segmentation.RECORD) {
                nextRecordState.update(work.nextRecord);
            }
            if (work.stream != null) {
                patcherState.update(work.stream.snapshot());
                if (!work.tagged) {
                    modelState.update(modelTag);
                    work.tagged = true;
                }
                live.put(work.key, work.stream);
            }
            if (work.lastSequence != null) {
                lastSequenceState.update(work.lastSequence);
            }
            if (work.session != null) {
                sessionState.update(work.session);
            }
            touch(now);
        }
    }

    /** Moves at most {@link #SLICE_BYTES} of the key's pending pieces into their patchers. */
    private static void appendSlice(KeyWork work) {
        work.touched.clear();
        int budget = SLICE_BYTES;
        while (budget > 0 && !work.pieces.isEmpty()) {
            Piece piece = work.pieces.peek();
            if (piece.offset == 0 && work.spans != null) {
                work.spans.begin(piece.record, piece.target.received());
            }
            int n = Math.min(budget, piece.bytes.length - piece.offset);
            piece.target.append(piece.bytes, piece.offset, n);
            piece.offset += n;
            budget -= n;
            work.touched.add(piece.target);
            if (piece.offset == piece.bytes.length) {
                work.pieces.poll();
                if (work.spans != null) {
                    work.spans.end(piece.target.received());
                    piece.target.endRecord();
                } else if (piece.endsRecord) {
                    work.ended.add(piece.target);
                }
            }
        }
    }

    /** Scores every touched patcher in one call; keys whose input fails the model alone are dead letters. */
    private int scoreIsolating(List<KeyWork> active) throws Exception {
        int[] windows = {0};
        Map<KeyWork, Exception> failed = FailureIsolation.run(active,
                works -> windows[0] += BatchScoring.scoreAll(
                        works.stream().flatMap(w -> w.touched.stream()).collect(Collectors.toList()), model.entropyScorer()),
                () -> model.entropyScorer().score(List.of(new long[] {settings.bosToken(), settings.byteOffset()})));
        for (Map.Entry<KeyWork, Exception> entry : failed.entrySet()) {
            abandon(entry.getKey(), FailureIsolation.reason("the entropy model", entry.getValue()));
        }
        return windows[0];
    }

    /**
     * A key whose bytes the model cannot score: its chunks of this bundle go to the dead-letter topic
     * (patches already emitted from their first slices stay) and its stream starts again.
     */
    private void abandon(KeyWork work, String reason) {
        setCurrentKey(work.key);
        for (StreamChunk chunk : work.chunks) {
            deadLetter(chunk, reason);
        }
        work.chunks.clear();
        work.pieces.clear();
        work.documents.clear();
        if (work.stream != null) {
            work.stream = new StreamPatcher(settings);
        }
        if (work.spans != null) {
            work.spans = new RecordSpans();
        }
    }

    private void emitClosed(KeyWork work) {
        if (work.spans != null) {
            for (RecordSpans.RecordPatch p : work.spans.assign(work.stream.drain()).patches()) {
                emit(work.key, p.record(), p.patch(), p.last());
            }
            return;
        }
        if (segmentation == Segmentation.STREAM) {
            for (ClosedPatch patch : work.stream.drain()) {
                emit(work.key, -1, patch, false);
            }
            return;
        }
        for (Document doc : work.documents) {
            if (!work.touched.contains(doc.patcher())) {
                continue;
            }
            List<ClosedPatch> patches = new ArrayList<>(doc.patcher().drain());
            boolean ended = work.ended.contains(doc.patcher());
            if (ended) {
                patches.addAll(doc.patcher().finish(CloseReason.END_OF_RECORD));
            }
            for (int i = 0; i < patches.size(); i++) {
                emit(work.key, doc.recordIndex(), patches.get(i), ended && i == patches.size() - 1);
            }
        }
        work.documents.removeIf(doc -> work.ended.contains(doc.patcher()));
    }

    private void emit(String key, long recordIndex, ClosedPatch patch, boolean lastInRecord) {
        metrics.patch(patch);
        drift.patch(key, Predictions.bits(patch.logprobs()), patch.length());
        patchTotal.add(1);
        output.collect(new StreamRecord<>(new PatchEvent(key, recordIndex, patch, lastInRecord, model.modelId())));
    }

    private void deadLetter(StreamChunk chunk, String reason) {
        metrics.deadLetter();
        deadLetterTotal.add(1);
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
                setCurrentKey(key);
                finishOpenPatch(key, CloseReason.END_OF_STREAM);
            }
        }
    }

    /** Stream segmentation: close the quiet key's open patch (trades exactness for latency). */
    @Override
    protected void onIdle(String key) throws Exception {
        finishOpenPatch(key, CloseReason.IDLE_FLUSH);
    }

    /** Emits the open patch, then forgets the stream: its next bytes start a new one at offset 0. */
    @Override
    protected void onExpired(String key) throws Exception {
        finishOpenPatch(key, CloseReason.IDLE_FLUSH);
        live.remove(key);
        patcherState.clear();
        modelState.clear();
        nextRecordState.clear();
        lastSequenceState.clear();
        sessionState.clear();
    }

    private void finishOpenPatch(String key, CloseReason reason) throws Exception {
        if (live.get(key) == null && patcherState.value() == null) {
            return;
        }
        StreamPatcher patcher = patcherOf(key, -1);
        for (ClosedPatch patch : patcher.finish(reason)) {
            emit(key, -1, patch, false);
        }
        patcherState.update(patcher.snapshot());
        modelState.update(modelTag);
    }
}

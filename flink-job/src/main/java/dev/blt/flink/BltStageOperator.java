package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.NextByteProbability;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.Prediction;
import dev.blt.avro.RecordScore;
import dev.blt.bltstage.BatchedBltStages;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.bltstage.GreedyContinuation;
import dev.blt.bltstage.BltRollingCache;
import dev.blt.bltstage.BltStage;
import dev.blt.bltstage.Predictions;
import dev.blt.bltstage.RecentRecords;
import dev.blt.bltstage.RecordEmbedding;
import dev.blt.bltstage.RecordSurprise;
import dev.blt.model.OperatorModel;
import dev.blt.patching.RecordContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The keyed BLT stage: local encoder, latent transformer and local decoder over closed patches,
 * bundled across keys into batched calls (see {@link BundlingOperator}). For every patch it emits
 * a {@link PatchEmbedding} (main output) and a {@link Prediction}; at the end of each record
 * (record segmentation) a {@link RecordScore}.
 *
 * <p>In record segmentation with {@link RecordContext#CARRY} (the default) a key's records share one
 * encoder: a record's patches see the earlier records, each followed by the record separator, as
 * context. With RESET every record is encoded alone.
 *
 * <p>State per key: the open document's encoder (at most context + block patches) and, in record
 * segmentation, the running surprise and embedding sum of the open record, and (with a novelty
 * window) the quantised embeddings of the key's last records ({@link RecentRecords}).
 *
 * <p>Patches of a document must arrive complete and in order. A patch that repeats an earlier index
 * (a replay) is a dead letter. A document that restarts at patch 0 (the patcher expired the quiet
 * stream) or resumes after a gap (this stage expired first, or patches were dead-lettered
 * upstream) starts a new document at that patch, without the earlier context: counted in
 * {@code blt.contextResets}.
 */
public class BltStageOperator extends BundlingOperator<PatchEvent, PatchEmbedding, BltStageOperator.KeyWork> {

    public static final OutputTag<Prediction> PREDICTIONS = new OutputTag<>("predictions") { };
    public static final OutputTag<RecordScore> RECORD_SCORES = new OutputTag<>("record-scores") { };
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("blt-dead-letters") { };

    private static final long serialVersionUID = 1L;

    private final int topK;
    private final int continuationBytes;
    private final RecordContext recordContext;
    private final int noveltyWindow;
    private final long cacheBytes;
    private DriftSettings driftSettings = DriftSettings.DEFAULT;
    private transient DriftMonitor drift;
    private transient ValueState<String> modelState; // the model that wrote the key's document state (ModelTag)
    private transient String modelTag;

    private transient BltStageSettings settings;
    private transient ValueState<byte[]> documentState;
    private transient ValueState<byte[]> recentRecordsState;
    private transient Counter patches;
    private transient org.apache.flink.api.common.accumulators.LongCounter encodedTotal;
    private transient org.apache.flink.api.common.accumulators.LongCounter scoreTotal;
    private transient Counter contextResets;
    private transient Counter deadLetters;
    private transient Histogram bundlePatches;
    private transient Histogram inferenceMicros;
    /**
     * The rolling BLT caches of recently active keys (a sliding-window BLT), as their stages left
     * them: a key's next patches continue from its cache instead of running its held patches again.
     * Bounded to what cacheBytes allows, least recently used first out. A stage takes only its own
     * cache, at the patch it continues at ({@link BltStage#attach}), so a stale one is never used.
     * Never checkpointed.
     */
    private transient java.util.LinkedHashMap<String, BltRollingCache> liveCaches;

    /** The patches of one document (a record, or the stream) in the current bundle. */
    static final class Document {
        final long recordIndex;
        /** Patch index of the encoder's patch 0: non-zero when the document restarted after a gap. */
        final long firstPatchIndex;
        /** With record context the key's records share one encoder, which also holds their separators. */
        final BltStage encoder;
        final RecordSurprise surprise;
        final RecordEmbedding embedding;
        final List<PatchEvent> events = new ArrayList<>();
        /** This document's patches so far: every one added in an earlier bundle was also scored. */
        long patches;
        boolean finished;

        Document(long recordIndex, long firstPatchIndex, BltStage encoder) {
            this(recordIndex, firstPatchIndex, encoder, new RecordSurprise(), new RecordEmbedding());
        }

        Document(long recordIndex, long firstPatchIndex, BltStage encoder, RecordSurprise surprise,
                 RecordEmbedding embedding) {
            this.recordIndex = recordIndex;
            this.firstPatchIndex = firstPatchIndex;
            this.encoder = encoder;
            this.surprise = surprise;
            this.embedding = embedding;
            this.patches = surprise.patches();
        }

        long nextPatchIndex() {
            return firstPatchIndex + patches;
        }
    }

    static final class KeyWork {
        boolean tagged; // the key's state carries this model's tag (ModelTag)
        String key;
        Document fromState;
        final List<Document> documents = new ArrayList<>();
    }

    public BltStageOperator(OperatorModel.Source modelSource, BundleSettings bundleSettings, int topK, int continuationBytes) {
        this(modelSource, bundleSettings, topK, continuationBytes, 0);
    }

    public BltStageOperator(OperatorModel.Source modelSource, BundleSettings bundleSettings, int topK, int continuationBytes,
                            long stateTtlMs) {
        this(modelSource, bundleSettings, topK, continuationBytes, RecordContext.CARRY, stateTtlMs);
    }

    public BltStageOperator(OperatorModel.Source modelSource, BundleSettings bundleSettings, int topK, int continuationBytes,
                            RecordContext recordContext, long stateTtlMs) {
        this(modelSource, bundleSettings, topK, continuationBytes, recordContext, DEFAULT_NOVELTY_WINDOW, stateTtlMs);
    }

    /** @param noveltyWindow records per key that a record's novelty is measured against; 0 = off */
    public BltStageOperator(OperatorModel.Source modelSource, BundleSettings bundleSettings, int topK, int continuationBytes,
                            RecordContext recordContext, int noveltyWindow, long stateTtlMs) {
        this(modelSource, bundleSettings, topK, continuationBytes, recordContext, noveltyWindow, stateTtlMs,
                EntropyPatcherOperator.DEFAULT_WINDOW_CACHE_BYTES);
    }

    /**
     * @param cacheBytes heap for the rolling BLT caches of recently active keys (a sliding-window
     *                   BLT; see {@link #liveCaches}); 0 keeps none, and every bundle rebuilds them
     */
    public BltStageOperator(OperatorModel.Source modelSource, BundleSettings bundleSettings, int topK, int continuationBytes,
                            RecordContext recordContext, int noveltyWindow, long stateTtlMs, long cacheBytes) {
        super(modelSource, bundleSettings, stateTtlMs);
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("BLT cache must be >= 0 bytes, got " + cacheBytes);
        }
        this.cacheBytes = cacheBytes;
        this.recordContext = recordContext;
        if (noveltyWindow < 0) {
            throw new IllegalArgumentException("novelty window must be >= 0, got " + noveltyWindow);
        }
        this.noveltyWindow = noveltyWindow;
        if (topK < 1 || topK > 256) {
            throw new IllegalArgumentException("top-k must be between 1 and 256, got " + topK);
        }
        if (continuationBytes < 0) {
            throw new IllegalArgumentException("continuation bytes must be >= 0, got " + continuationBytes);
        }
        this.topK = topK;
        this.continuationBytes = continuationBytes;
    }

    /** How this operator watches its streams drift from the model (default {@link DriftSettings#DEFAULT}). */
    public BltStageOperator withDrift(DriftSettings settings) {
        this.driftSettings = java.util.Objects.requireNonNull(settings, "drift settings");
        return this;
    }

    @Override
    public void open() throws Exception {
        super.open();
        settings = model.encoderSettings();
        model.bltScorer(); // load the graph now, not on the first bundle
        documentState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("blt-document", BytePrimitiveArraySerializer.INSTANCE));
        modelState = getRuntimeContext().getState(new ValueStateDescriptor<>("blt-model",
                org.apache.flink.api.common.typeutils.base.StringSerializer.INSTANCE));
        modelTag = ModelTag.of(model);
        recentRecordsState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("blt-recent-records", BytePrimitiveArraySerializer.INSTANCE));
        MetricGroup g = getMetricGroup().addGroup("blt");
        patches = g.counter("encodedPatches");
        encodedTotal = RunTotal.ENCODED_PATCHES.counter(getRuntimeContext());
        scoreTotal = RunTotal.RECORD_SCORES.counter(getRuntimeContext());
        contextResets = g.counter("contextResets");
        deadLetters = g.counter("deadLetters");
        g.meter("encodedPatchesPerSecond", new MeterView(patches));
        bundlePatches = g.histogram("bundlePatches", new DescriptiveStatisticsHistogram(PatcherMetrics.HISTOGRAM_WINDOW));
        inferenceMicros = g.histogram("inferenceLatencyMicros",
                new DescriptiveStatisticsHistogram(PatcherMetrics.HISTOGRAM_WINDOW));
        dev.blt.model.ModelManifest.HeldOutFigures heldOut = model.heldOutFigures();
        drift = new DriftMonitor("BLT", model.modelId(), heldOut == null ? null : heldOut.bltBitsPerByte(), driftSettings, g,
                "blt", false);
        long perKey = model.bltCacheBytes();
        int maxLive = perKey == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, cacheBytes / perKey);
        liveCaches = new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, BltRollingCache> eldest) {
                return size() > maxLive;
            }
        };
    }

    /** Records that this model wrote the current key's state (once per key: ModelTag). */
    private void tagState(KeyWork work) throws IOException {
        if (!work.tagged) {
            modelState.update(modelTag);
            work.tagged = true;
        }
    }

    /** Keeps the key's rolling cache for its next bundle (forgets it when there is none). */
    private void keepCache(String key, BltStage encoder) {
        BltRollingCache cache = encoder == null ? null : encoder.cache();
        if (cache == null) {
            liveCaches.remove(key);
        } else {
            liveCaches.put(key, cache);
        }
    }

    /**
     * Returns whether the key's state now carries this model's tag. State another model wrote (a
     * rollout; see {@link ModelTag}): with the same windows the document
     * carries over and the new BLT runs on its held context, but novelty starts over (the recent
     * records' embeddings are the old model's); with other windows the stream starts afresh, as the
     * patcher restarts it at offset 0.
     */
    private boolean switchModel(String key) throws Exception {
        String written = modelState.value();
        ModelTag.Change change = ModelTag.change(written, modelTag);
        if (change == ModelTag.Change.NONE) {
            return written != null;
        }
        recentRecordsState.clear();
        liveCaches.remove(key);
        if (change == ModelTag.Change.OTHER_WINDOWS) {
            documentState.clear();
            ModelTag.LOG.warn("stream '{}': its BLT state was written by {} under other windows than {}'s: it starts afresh",
                    key, ModelTag.modelId(written), model.modelId());
        } else {
            ModelTag.LOG.info("stream '{}': BLT stage switched from {} to {}; novelty starts over", key, ModelTag.modelId(written),
                    model.modelId());
        }
        modelState.update(modelTag);
        return true;
    }

    @Override
    protected KeyWork loadWork(String key) throws Exception {
        KeyWork work = new KeyWork();
        work.key = key;
        work.tagged = switchModel(key);
        byte[] state = documentState.value();
        if (state != null) {
            work.fromState = DocumentState.read(settings, state);
            work.fromState.encoder.attach(liveCaches.get(key));
        }
        return work;
    }

    @Override
    protected int addToWork(KeyWork work, PatchEvent event) {
        Document open = work.documents.isEmpty() ? work.fromState : work.documents.get(work.documents.size() - 1);
        boolean sameDocument = open != null && !open.finished && open.recordIndex == event.recordIndex();
        Document doc;
        if (open != null && replaysAnEarlierRecord(open, event)) {
            deadLetter(event, "patch " + event.patchIndex() + " of record " + event.recordIndex() + " of stream '"
                    + event.streamId() + "' arrived after record " + open.recordIndex
                    + (open.finished ? " ended" : " began") + " (a replay or duplicate); not encoded");
            return 0;
        }
        if (sameDocument && event.patchIndex() == open.nextPatchIndex()) {
            doc = open;
            if (work.documents.isEmpty()) {
                work.documents.add(doc); // the open document continues from an earlier bundle
            }
        } else if (sameDocument && event.patchIndex() > 0 && event.patchIndex() < open.nextPatchIndex()) {
            deadLetter(event, "patch " + event.patchIndex() + " of stream '" + event.streamId() + "' arrived after patch "
                    + (open.nextPatchIndex() - 1) + " (a replay or duplicate); not encoded");
            return 0;
        } else if (continuesRecordContext(open, event)) {
            doc = new Document(event.recordIndex(), 0, open.encoder); // the key's encoder goes on
            work.documents.add(doc);
        } else {
            boolean contextLost = open != null && recordContext == RecordContext.CARRY && event.recordIndex() >= 0;
            if (event.patchIndex() != 0 || sameDocument || contextLost) { // a gap, or the open document restarts at 0
                contextResets.inc();
            }
            doc = new Document(event.recordIndex(), event.patchIndex(), new BltStage(settings));
            work.documents.add(doc);
        }
        doc.encoder.add(event.bytes());
        doc.patches++;
        doc.events.add(event);
        doc.finished = event.lastInRecord();
        if (doc.finished && recordContext == RecordContext.CARRY) {
            doc.encoder.endRecord();
        }
        return event.bytes().length;
    }

    /** Record context: the first patch of the record right after the open one, which has ended. */
    private boolean continuesRecordContext(Document open, PatchEvent event) {
        return recordContext == RecordContext.CARRY && open != null && open.finished && open.recordIndex >= 0
                && event.recordIndex() == open.recordIndex + 1 && event.patchIndex() == 0;
    }

    /**
     * Record segmentation: a patch of a record before the open one, or of the open record after it
     * ended. Record 0's patch 0 is a restart instead (the patcher forgot the quiet stream).
     */
    private static boolean replaysAnEarlierRecord(Document open, PatchEvent event) {
        if (event.recordIndex() < 0 || open.recordIndex < 0 || (event.recordIndex() == 0 && event.patchIndex() == 0)) {
            return false;
        }
        return event.recordIndex() < open.recordIndex || (event.recordIndex() == open.recordIndex && open.finished);
    }

    @Override
    protected void runBundle(Map<String, KeyWork> bundle) throws Exception {
        long started = System.nanoTime();
        List<List<PatchOutputs>> results = encodeIsolating(bundle);
        Map<PatchOutputs, byte[]> continuations = GreedyContinuation.forDocuments(
                results.stream().filter(java.util.Objects::nonNull).toList(), model.bltScorer(),
                continuationBytes, model.byteOffset());
        inferenceMicros.update((System.nanoTime() - started) / 1000);

        int next = 0;
        int count = 0;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        for (Map.Entry<String, KeyWork> entry : bundle.entrySet()) {
            setCurrentKey(entry.getKey());
            touch(now);
            if (entry.getValue().documents.isEmpty()) {
                continue; // every patch was a replay: the open document is unchanged
            }
            Document last = null;
            for (Document doc : entry.getValue().documents) {
                List<PatchOutputs> encoded = results.get(next++);
                if (encoded == null) { // the model failed on this key's input: dead-lettered
                    last = null;
                    continue;
                }
                for (int i = 0; i < encoded.size(); i++) {
                    emit(doc, doc.events.get(i), encoded.get(i), continuations.get(encoded.get(i)));
                }
                count += encoded.size();
                if (doc.finished) {
                    output.collect(RECORD_SCORES, new StreamRecord<>(recordScore(entry.getKey(), doc)));
                    scoreTotal.add(1);
                }
                last = doc;
            }
            if (last == null) {
                documentState.clear();
                keepCache(entry.getKey(), null);
            } else if (last.finished) {
                // which record ended, so that replays of it are recognised, and the context it leaves
                BltStage context = recordContext == RecordContext.CARRY ? last.encoder : new BltStage(settings);
                Document ended = new Document(last.recordIndex, 0, context);
                ended.finished = true;
                documentState.update(DocumentState.write(ended));
                tagState(entry.getValue());
                keepCache(entry.getKey(), context);
            } else {
                documentState.update(DocumentState.write(last));
                tagState(entry.getValue());
                keepCache(entry.getKey(), last.encoder);
            }
        }
        bundlePatches.update(count);
    }

    /**
     * One batched BLT call, results per document in bundle order. If the model fails, each key runs
     * alone; the patches of a key whose input fails alone go to the dead-letter topic, and its
     * documents get null results.
     */
    private List<List<PatchOutputs>> encodeIsolating(Map<String, KeyWork> bundle) throws Exception {
        Map<BltStage, List<PatchOutputs>> byEncoder = new IdentityHashMap<>();
        List<KeyWork> works = new ArrayList<>(bundle.values());
        Map<KeyWork, Exception> failed = FailureIsolation.run(works, some -> {
            List<BltStage> encoders = new ArrayList<>(); // once each: with record context, records share one
            some.forEach(w -> w.documents.forEach(d -> {
                if (encoders.isEmpty() || encoders.get(encoders.size() - 1) != d.encoder) {
                    encoders.add(d.encoder);
                }
            }));
            List<List<PatchOutputs>> results = BatchedBltStages.runAll(encoders, model.bltScorer());
            for (int i = 0; i < encoders.size(); i++) {
                byEncoder.put(encoders.get(i), results.get(i));
            }
        }, this::probe);
        for (Map.Entry<KeyWork, Exception> entry : failed.entrySet()) {
            setCurrentKey(entry.getKey().key);
            String reason = FailureIsolation.reason("the BLT model", entry.getValue());
            for (Document doc : entry.getKey().documents) {
                doc.events.forEach(event -> deadLetter(event, reason));
            }
            documentState.clear();
            keepCache(entry.getKey().key, null);
        }
        // Each document takes its patches' outputs, in order, from its encoder's.
        List<List<PatchOutputs>> results = new ArrayList<>();
        Map<BltStage, Integer> taken = new IdentityHashMap<>();
        works.forEach(w -> w.documents.forEach(d -> {
            List<PatchOutputs> all = byEncoder.get(d.encoder);
            if (all == null) {
                results.add(null);
                return;
            }
            int from = taken.getOrDefault(d.encoder, 0);
            results.add(all.subList(from, from + d.events.size()));
            taken.put(d.encoder, from + d.events.size());
        }));
        return results;
    }

    /** A one-patch document: must encode on a healthy model. */
    private void probe() {
        BltStage encoder = new BltStage(settings);
        encoder.add(new byte[] {'a'});
        BatchedBltStages.runAll(List.of(encoder), model.bltScorer());
    }

    private void deadLetter(PatchEvent event, String reason) {
        deadLetters.inc();
        byte[] value;
        try {
            java.nio.ByteBuffer encoded = AvroRecords.patch(event).toByteBuffer();
            value = new byte[encoded.remaining()];
            encoded.get(value);
        } catch (IOException e) {
            value = event.bytes();
        }
        byte[] key = event.streamId() == null ? null : event.streamId().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        output.collect(DEAD_LETTERS, new StreamRecord<>(DeadLetters.of(reason, key, value, "", -1, -1,
                getProcessingTimeService().getCurrentProcessingTime())));
    }

    /** Forgets the quiet stream's document; nothing is pending, as every patch is emitted at once. */
    @Override
    protected void onExpired(String key) throws Exception {
        documentState.clear();
        modelState.clear();
        liveCaches.remove(key);
        recentRecordsState.clear();
    }

    private void emit(Document doc, PatchEvent event, PatchOutputs encoded, byte[] continuation) {
        if (doc.firstPatchIndex + encoded.patchIndex() != event.patchIndex()) {
            throw new IllegalStateException("BLT stage of stream '" + event.streamId() + "' expected patch "
                    + (doc.firstPatchIndex + encoded.patchIndex()) + " but received patch " + event.patchIndex());
        }
        patches.inc();
        encodedTotal.add(1);
        doc.surprise.add(encoded);
        drift.patch(event.streamId(), encoded.bits(), event.bytes().length);
        doc.embedding.add(encoded.embedding());
        Long record = event.recordIndex() < 0 ? null : event.recordIndex();
        output.collect(new StreamRecord<>(PatchEmbedding.newBuilder()
                .setStreamId(event.streamId()).setPatchIndex(event.patchIndex()).setRecordIndex(record)
                .setStartOffset(event.patch().startOffset()).setLength(event.bytes().length)
                .setEmbedding(AvroRecords.floats(encoded.embedding())).setModelId(model.modelId()).build()));
        List<NextByteProbability> top = new ArrayList<>(topK);
        for (Predictions.NextByte b : Predictions.topK(encoded.nextByteLogprobs(), model.byteOffset(),
                topK)) {
            top.add(new NextByteProbability(b.value(), (float) b.probability()));
        }
        output.collect(PREDICTIONS, new StreamRecord<>(Prediction.newBuilder()
                .setStreamId(event.streamId()).setPatchIndex(event.patchIndex()).setRecordIndex(record)
                .setStartOffset(event.patch().startOffset()).setLength(event.bytes().length)
                .setBltBitsPerByte((float) encoded.bitsPerByte())
                .setEntropyModelBitsPerByte((float) Predictions.bitsPerByte(event.patch().logprobs()))
                .setNextByteTopK(top).setContinuation(continuation == null ? null : java.nio.ByteBuffer.wrap(continuation))
                .setModelId(model.modelId()).build()));
    }

    private RecordScore recordScore(String key, Document doc) throws IOException {
        RecordSurprise s = doc.surprise;
        float[] embedding = doc.embedding.vector();
        return RecordScore.newBuilder().setStreamId(key).setRecordIndex(doc.recordIndex)
                .setBytes((int) s.bytes()).setPatches((int) s.patches()).setMeanBitsPerByte((float) s.meanBitsPerByte())
                .setMaxSurprisePatchIndex(doc.firstPatchIndex + s.maxPatchIndex()).setMaxSurpriseBitsPerByte((float) s.maxBitsPerByte())
                .setModelId(model.modelId()).setEmbedding(AvroRecords.floats(embedding)).setNovelty(novelty(embedding))
                .build();
    }

    /** The record's novelty against the key's recent records, which it then joins; null when off or first. */
    private Float novelty(float[] embedding) throws IOException {
        if (noveltyWindow == 0 || embedding.length == 0) {
            return null;
        }
        byte[] state = recentRecordsState.value();
        RecentRecords recent = state == null ? new RecentRecords(noveltyWindow) : RecentRecords.restore(state, noveltyWindow);
        double novelty = recent.novelty(embedding);
        recent.add(embedding);
        recentRecordsState.update(recent.snapshot());
        return Double.isNaN(novelty) ? null : (float) novelty;
    }

    /** Novelty is measured against this many of a key's last records unless configured. */
    public static final int DEFAULT_NOVELTY_WINDOW = 32;
}

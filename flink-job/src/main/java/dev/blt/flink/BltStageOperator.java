package dev.blt.flink;

import dev.blt.avro.NextByteProbability;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.Prediction;
import dev.blt.avro.RecordScore;
import dev.blt.encoding.BatchEncoding;
import dev.blt.encoding.EncodedPatch;
import dev.blt.encoding.EncoderSettings;
import dev.blt.encoding.GreedyContinuation;
import dev.blt.encoding.PatchEncoder;
import dev.blt.encoding.Predictions;
import dev.blt.encoding.RecordSurprise;
import dev.blt.kafka.AvroRecords;
import dev.blt.model.ModelSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
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
 * <p>State per key: the open document's encoder (at most context + block patches) and, in record
 * segmentation, the running surprise of the open record.
 */
public class BltStageOperator extends BundlingOperator<PatchEvent, PatchEmbedding, BltStageOperator.KeyWork> {

    public static final OutputTag<Prediction> PREDICTIONS = new OutputTag<>("predictions") { };
    public static final OutputTag<RecordScore> RECORD_SCORES = new OutputTag<>("record-scores") { };

    private static final long serialVersionUID = 1L;

    private final int topK;
    private final int continuationBytes;

    private transient EncoderSettings settings;
    private transient ValueState<byte[]> documentState;
    private transient Counter patches;
    private transient Histogram bundlePatches;
    private transient Histogram inferenceMicros;

    /** The patches of one document (a record, or the stream) in the current bundle. */
    static final class Document {
        final long recordIndex;
        final PatchEncoder encoder;
        final RecordSurprise surprise;
        final List<PatchEvent> events = new ArrayList<>();
        boolean finished;

        Document(long recordIndex, PatchEncoder encoder, RecordSurprise surprise) {
            this.recordIndex = recordIndex;
            this.encoder = encoder;
            this.surprise = surprise;
        }
    }

    static final class KeyWork {
        Document fromState;
        final List<Document> documents = new ArrayList<>();
    }

    public BltStageOperator(ModelSource modelSource, BundleSettings bundleSettings, int topK, int continuationBytes) {
        super(modelSource, bundleSettings);
        if (topK < 1 || topK > 256) {
            throw new IllegalArgumentException("top-k must be between 1 and 256, got " + topK);
        }
        if (continuationBytes < 0) {
            throw new IllegalArgumentException("continuation bytes must be >= 0, got " + continuationBytes);
        }
        this.topK = topK;
        this.continuationBytes = continuationBytes;
    }

    @Override
    public void open() throws Exception {
        super.open();
        settings = model.encoderSettings();
        model.bltScorer(); // load the graph now, not on the first bundle
        documentState = getRuntimeContext().getState(
                new ValueStateDescriptor<>("blt-document", BytePrimitiveArraySerializer.INSTANCE));
        MetricGroup g = getMetricGroup().addGroup("blt");
        patches = g.counter("encodedPatches");
        g.meter("encodedPatchesPerSecond", new MeterView(patches));
        bundlePatches = g.histogram("bundlePatches", new DescriptiveStatisticsHistogram(PatcherMetrics.HISTOGRAM_WINDOW));
        inferenceMicros = g.histogram("inferenceLatencyMicros",
                new DescriptiveStatisticsHistogram(PatcherMetrics.HISTOGRAM_WINDOW));
    }

    @Override
    protected KeyWork loadWork(String key) throws Exception {
        KeyWork work = new KeyWork();
        byte[] state = documentState.value();
        if (state != null) {
            work.fromState = readDocument(state);
        }
        return work;
    }

    @Override
    protected int addToWork(KeyWork work, PatchEvent event) {
        Document doc = work.documents.isEmpty() ? null : work.documents.get(work.documents.size() - 1);
        if (doc == null && work.fromState != null && work.fromState.recordIndex == event.recordIndex) {
            doc = work.fromState; // the open document continues from an earlier bundle
            work.documents.add(doc);
        }
        if (doc == null || doc.recordIndex != event.recordIndex || doc.finished) {
            doc = new Document(event.recordIndex, new PatchEncoder(settings), new RecordSurprise());
            work.documents.add(doc);
        }
        doc.encoder.add(event.bytes);
        doc.events.add(event);
        doc.finished = event.lastInRecord;
        return event.bytes.length;
    }

    @Override
    protected void runBundle(Map<String, KeyWork> bundle) throws Exception {
        List<PatchEncoder> encoders = new ArrayList<>();
        for (KeyWork work : bundle.values()) {
            work.documents.forEach(d -> encoders.add(d.encoder));
        }
        long started = System.nanoTime();
        List<List<EncodedPatch>> results = BatchEncoding.runAll(encoders, model.bltScorer());
        Map<EncodedPatch, byte[]> continuations = GreedyContinuation.forDocuments(results, model.bltScorer(),
                continuationBytes, model.manifest().tokens().byteOffset());
        inferenceMicros.update((System.nanoTime() - started) / 1000);

        int next = 0;
        int count = 0;
        for (Map.Entry<String, KeyWork> entry : bundle.entrySet()) {
            setCurrentKey(entry.getKey());
            Document last = null;
            for (Document doc : entry.getValue().documents) {
                List<EncodedPatch> encoded = results.get(next++);
                for (int i = 0; i < encoded.size(); i++) {
                    emit(doc, doc.events.get(i), encoded.get(i), continuations.get(encoded.get(i)));
                }
                count += encoded.size();
                if (doc.finished) {
                    output.collect(RECORD_SCORES, new StreamRecord<>(recordScore(entry.getKey(), doc)));
                }
                last = doc;
            }
            if (last == null || last.finished) {
                documentState.clear();
            } else {
                documentState.update(writeDocument(last));
            }
        }
        bundlePatches.update(count);
    }

    private void emit(Document doc, PatchEvent event, EncodedPatch encoded, byte[] continuation) {
        if (encoded.patchIndex() != event.patchIndex) {
            throw new IllegalStateException("BLT stage of stream '" + event.streamId + "' expected patch "
                    + encoded.patchIndex() + " but received patch " + event.patchIndex
                    + ": patches must arrive complete and in order from the patcher");
        }
        patches.inc();
        doc.surprise.add(encoded);
        Long record = event.recordIndex < 0 ? null : event.recordIndex;
        output.collect(new StreamRecord<>(PatchEmbedding.newBuilder()
                .setStreamId(event.streamId).setPatchIndex(event.patchIndex).setRecordIndex(record)
                .setStartOffset(event.startOffset).setLength(event.bytes.length)
                .setEmbedding(AvroRecords.floats(encoded.embedding())).setModelId(model.modelId()).build()));
        List<NextByteProbability> top = new ArrayList<>(topK);
        for (Predictions.NextByte b : Predictions.topK(encoded.nextByteLogprobs(), model.manifest().tokens().byteOffset(),
                topK)) {
            top.add(new NextByteProbability(b.value(), (float) b.probability()));
        }
        output.collect(PREDICTIONS, new StreamRecord<>(Prediction.newBuilder()
                .setStreamId(event.streamId).setPatchIndex(event.patchIndex).setRecordIndex(record)
                .setStartOffset(event.startOffset).setLength(event.bytes.length)
                .setBltBitsPerByte((float) encoded.bitsPerByte())
                .setEntropyModelBitsPerByte((float) Predictions.bitsPerByte(event.logprobs))
                .setNextByteTopK(top).setContinuation(continuation == null ? null : java.nio.ByteBuffer.wrap(continuation))
                .setModelId(model.modelId()).build()));
    }

    private RecordScore recordScore(String key, Document doc) {
        RecordSurprise s = doc.surprise;
        return RecordScore.newBuilder().setStreamId(key).setRecordIndex(doc.recordIndex)
                .setBytes((int) s.bytes()).setPatches((int) s.patches()).setMeanBitsPerByte((float) s.meanBitsPerByte())
                .setMaxSurprisePatchIndex(s.maxPatchIndex()).setMaxSurpriseBitsPerByte((float) s.maxBitsPerByte())
                .setModelId(model.modelId()).build();
    }

    private static byte[] writeDocument(Document doc) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(doc.recordIndex);
            for (long v : doc.surprise.toLongs()) {
                out.writeLong(v);
            }
            byte[] encoder = doc.encoder.snapshot();
            out.writeInt(encoder.length);
            out.write(encoder);
        }
        return bytes.toByteArray();
    }

    private Document readDocument(byte[] state) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            long record = in.readLong();
            long[] surprise = new long[5];
            for (int i = 0; i < surprise.length; i++) {
                surprise[i] = in.readLong();
            }
            byte[] encoder = new byte[in.readInt()];
            in.readFully(encoder);
            return new Document(record, PatchEncoder.restore(settings, encoder), RecordSurprise.fromLongs(surprise));
        }
    }
}

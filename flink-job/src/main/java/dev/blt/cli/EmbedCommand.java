package dev.blt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blt.encoding.EncodedPatch;
import dev.blt.encoding.GreedyContinuation;
import dev.blt.encoding.OfflineEncoder;
import dev.blt.encoding.Predictions;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.Segmentation;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blt embed}: patch embeddings and predictions of a file, offline, on the job's core code. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Print BLT patch embeddings and predictions (one JSON object per patch, or per record).")
public class EmbedCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ModelOptions model;

    @Option(names = "--segmentation", defaultValue = "record", paramLabel = "stream|record",
            converter = Converters.SegmentationConverter.class,
            description = "record: every line is a record; stream: the input is one stream (default: ${DEFAULT-VALUE}).")
    Segmentation segmentation;

    @Option(names = "--per-record", description = "One object per record: the mean of its patch embeddings and its bits per byte.")
    boolean perRecord;

    @Option(names = "--top-k", defaultValue = "5", description = "Next-byte candidates per patch (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--continuation-bytes", defaultValue = "0",
            description = "Greedy continuation after each patch; 0 = off, one BLT call per byte (default: ${DEFAULT-VALUE}).")
    int continuationBytes;

    @Option(names = "--format", defaultValue = "jsonl", paramLabel = "jsonl", description = "Output format (only jsonl).")
    String format;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "Input file, or - for stdin.")
    String file;

    @Override
    public Integer call() throws Exception {
        if (!"jsonl".equals(format)) {
            throw new IllegalArgumentException("--format must be jsonl, got '" + format + "'");
        }
        LoadedModel loaded = model.source().open();
        OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer());
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        byte[] data;
        try (InputStream in = InputFiles.open(file)) {
            data = in.readAllBytes();
        }
        List<byte[]> documents = segmentation == Segmentation.STREAM ? List.of(data) : InputFiles.lines(data);
        ProgressBar progress = new ProgressBar(System.err, "embedding", documents.size());
        for (int from = 0; from < documents.size(); from += PatchCommand.RECORD_BATCH) {
            List<byte[]> batch = documents.subList(from, Math.min(documents.size(), from + PatchCommand.RECORD_BATCH));
            List<List<ClosedPatch>> patched = segmentation == Segmentation.STREAM
                    ? List.of(patcher.patchStream(batch)) : patcher.patchRecords(batch);
            List<List<byte[]>> patchBytes = new ArrayList<>();
            patched.forEach(d -> patchBytes.add(d.stream().map(ClosedPatch::bytes).toList()));
            List<List<EncodedPatch>> encoded = OfflineEncoder.encodeDocuments(loaded.encoderSettings(),
                    loaded.bltScorer(), patchBytes);
            java.util.Map<EncodedPatch, byte[]> continuations = GreedyContinuation.forDocuments(encoded,
                    loaded.bltScorer(), perRecord ? 0 : continuationBytes, loaded.manifest().tokens().byteOffset());
            for (int d = 0; d < patched.size(); d++) {
                long record = segmentation == Segmentation.STREAM ? -1 : from + d;
                if (perRecord) {
                    out.println(recordJson(record, patched.get(d), encoded.get(d)));
                } else {
                    for (int p = 0; p < patched.get(d).size(); p++) {
                        ObjectNode json = patchJson(record, patched.get(d).get(p), encoded.get(d).get(p),
                                loaded.manifest().tokens().byteOffset());
                        byte[] continuation = continuations.get(encoded.get(d).get(p));
                        if (continuation != null) {
                            json.put("continuation", new String(continuation, StandardCharsets.UTF_8));
                        }
                        out.println(json);
                    }
                }
            }
            progress.update(from + batch.size(), "");
        }
        progress.done("");
        out.flush();
        return 0;
    }

    private ObjectNode patchJson(long record, ClosedPatch patch, EncodedPatch encoded, int byteOffset) {
        ObjectNode o = JSON.createObjectNode();
        if (record >= 0) {
            o.put("record", record);
        }
        o.put("index", patch.patchIndex());
        o.put("start", patch.startOffset());
        o.put("length", patch.length());
        o.put("text", new String(patch.bytes(), StandardCharsets.UTF_8));
        o.put("blt_bits_per_byte", round(encoded.bitsPerByte()));
        o.put("entropy_model_bits_per_byte", round(Predictions.bitsPerByte(patch.logprobs())));
        ArrayNode top = o.putArray("next_byte_top_k");
        for (Predictions.NextByte b : Predictions.topK(encoded.nextByteLogprobs(), byteOffset, topK)) {
            top.addObject().put("byte", b.value()).put("probability", round(b.probability()));
        }
        floats(o.putArray("embedding"), encoded.embedding());
        return o;
    }

    private static ObjectNode recordJson(long record, List<ClosedPatch> patches, List<EncodedPatch> encoded) {
        ObjectNode o = JSON.createObjectNode();
        o.put("record", record);
        long bytes = 0;
        double bits = 0;
        float[] mean = null;
        for (int p = 0; p < encoded.size(); p++) {
            EncodedPatch e = encoded.get(p);
            bytes += patches.get(p).length();
            bits += e.bitsPerByte() * patches.get(p).length();
            if (mean == null) {
                mean = new float[e.embedding().length];
            }
            for (int i = 0; i < mean.length; i++) {
                mean[i] += e.embedding()[i] / encoded.size();
            }
        }
        o.put("bytes", bytes);
        o.put("patches", patches.size());
        o.put("bits_per_byte", bytes == 0 ? 0 : round(bits / bytes));
        floats(o.putArray("embedding"), mean == null ? new float[0] : mean);
        return o;
    }

    private static void floats(ArrayNode array, float[] values) {
        for (float v : values) {
            array.add(round(v));
        }
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}

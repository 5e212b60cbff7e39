package dev.blt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.RecentRecords;
import dev.blt.bltstage.Predictions;
import dev.blt.model.LoadedModel;
import dev.blt.patching.CloseReason;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.RecordContext;
import dev.blt.patching.RecordPatcher;
import dev.blt.patching.Segmentation;
import java.io.InputStream;
import java.io.PrintStream;
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

    @Option(names = "--segmentation", defaultValue = "record", paramLabel = "stream|record") Segmentation segmentation;

    @Mixin
    RecordContextOption recordContext;

    @Option(names = "--per-record") boolean perRecord;

    @Mixin
    BltOutputOptions outputs;

    @Option(names = "--format", defaultValue = "jsonl", paramLabel = "jsonl") String format;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "Input file, or - for stdin.")
    String file;

    @Override
    public Integer call() throws Exception {
        if (!"jsonl".equals(format)) {
            throw new IllegalArgumentException("--format must be jsonl, got '" + format + "'");
        }
        if (outputs.noveltyWindow < 0) {
            throw new IllegalArgumentException("--novelty-window must be >= 0, got " + outputs.noveltyWindow);
        }
        LoadedModel loaded = model.source().open();
        outputs.check(loaded.manifest());
        int byteOffset = loaded.manifest().tokens().byteOffset();
        boolean stream = segmentation == Segmentation.STREAM;
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        ProgressBar progress = new ProgressBar(System.err, "embedding", InputFiles.size(file));
        try (InputStream in = InputFiles.open(file)) {
            // Bounded pieces: a record (or the stream) of any length is patched and embedded slice by slice.
            LinePieces pieces = stream ? LinePieces.wholeInput(in, RecordPatcher.DEFAULT_MAX_BYTES)
                    : new LinePieces(in, RecordPatcher.DEFAULT_MAX_BYTES);
            RecordEncoders.Output output = new RecordEncoders.Output() {
                RecordSummary summary = new RecordSummary();
                final RecentRecords recent = outputs.noveltyWindow == 0 ? null : new RecentRecords(outputs.noveltyWindow);

                @Override
                public void patch(long record, ClosedPatch patch, PatchOutputs encoded, byte[] continuation) {
                    if (perRecord) {
                        summary.add(encoded);
                        return;
                    }
                    ObjectNode json = patchJson(stream ? -1 : record, patch, encoded, byteOffset);
                    if (continuation != null) {
                        JsonBytes.put(json, "continuation", "continuation_base64", continuation);
                    }
                    out.println(json);
                }

                @Override
                public void endRecord(long record) {
                    if (perRecord) {
                        out.println(recordJson(stream ? -1 : record, summary, recent));
                        summary = new RecordSummary();
                    }
                }

                @Override
                public void endRun() {
                    out.flush();
                    progress.update(pieces.bytesConsumed(), "");
                }
            };
            // The whole input as one stream is one record without context to carry.
            RecordContext context = stream ? RecordContext.RESET : recordContext.value;
            RecordEncoders encoders = new RecordEncoders(loaded.encoderSettings(), loaded.bltScorer(), context,
                    perRecord ? 0 : outputs.continuationBytes, byteOffset, output);
            RecordPatcher patcher = new RecordPatcher(loaded.patcherSettings(), loaded.entropyScorer(), context,
                    stream ? CloseReason.END_OF_STREAM : CloseReason.END_OF_RECORD, RecordPatcher.DEFAULT_MAX_RECORDS,
                    RecordPatcher.DEFAULT_MAX_BYTES, encoders);
            for (LinePieces.Piece piece = pieces.next(); piece != null; piece = pieces.next()) {
                patcher.add(piece.record(), piece.bytes(), piece.endOfRecord());
            }
            patcher.finish();
        }
        progress.done("");
        out.flush();
        return 0;
    }

    private ObjectNode patchJson(long record, ClosedPatch patch, PatchOutputs encoded, int byteOffset) {
        ObjectNode o = PatchPrinter.patchJson(record, patch);
        o.put("blt_bits_per_byte", round(encoded.bitsPerByte()));
        o.put("entropy_model_bits_per_byte", round(Predictions.bitsPerByte(patch.logprobs())));
        ArrayNode top = o.putArray("next_byte_top_k");
        for (Predictions.NextByte b : Predictions.topK(encoded.nextByteLogprobs(), byteOffset, outputs.topK)) {
            top.addObject().put("byte", b.value()).put("probability", round(b.probability()));
        }
        floats(o.putArray("embedding"), encoded.embedding());
        return o;
    }

    private static ObjectNode recordJson(long record, RecordSummary summary, RecentRecords recent) {
        ObjectNode o = JSON.createObjectNode();
        o.put("record", record);
        o.put("bytes", summary.bytes());
        o.put("patches", summary.patches());
        o.put("bits_per_byte", round(summary.bitsPerByte()));
        float[] embedding = summary.embedding();
        floats(o.putArray("embedding"), embedding);
        if (recent != null) {
            double novelty = embedding.length == 0 ? Double.NaN : recent.novelty(embedding);
            if (embedding.length > 0) {
                recent.add(embedding);
            }
            if (Double.isNaN(novelty)) {
                o.putNull("novelty"); // a stream's first record, or one without bytes
            } else {
                o.put("novelty", round(novelty));
            }
        }
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

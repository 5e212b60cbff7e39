package dev.blt.eval;

import dev.blt.bltstage.Predictions;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.blt.bltstage.BatchedBltStages;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.BltStage;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How well the models predict one byte stream, next to general-purpose compressors and a BPE
 * tokenizer on the same bytes: bits per byte of the entropy model and of BLT (stream segmentation,
 * the windows the job uses), the entropy model's calibration (mean predicted entropy against its
 * realised loss), bytes per patch at the model's theta, and cl100k bytes per token.
 */
public final class StreamCompression {

    /** The compressors compared, as command lines reading stdin and writing stdout. */
    public static final Map<String, List<String>> COMPRESSORS = compressors();

    private static final double LN2 = Math.log(2);
    private static final int CHUNK = 64 * 1024;
    private static final int PATCHES_PER_CALL = 1024;

    /**
     * One stream's figures. Bits are per byte; a compressor that is not installed has NaN.
     *
     * @param predictedBits      mean entropy of the entropy model's next-byte distributions, in bits
     * @param recordResetBits    the entropy model on the lines as records, each scored alone (record segmentation)
     * @param recordContextBits  the same records, each scored after the earlier ones (issue 10's record context)
     */
    public record Result(String name, long bytes, double entropyModelBits, double bltBits, double predictedBits,
                         double recordResetBits, double recordContextBits,
                         long patches, long cl100kTokens, Map<String, Double> compressorBits) {

        public double bytesPerPatch() {
            return (double) bytes / patches;
        }

        public double bytesPerToken() {
            return (double) bytes / cl100kTokens;
        }

        /** Predicted entropy over realised loss: 1 is calibrated, below 1 overconfident. */
        public double calibration() {
            return predictedBits / entropyModelBits;
        }
    }

    private StreamCompression() {
    }

    /** Measures the lines joined with LF, as a stream, and as records with and without earlier context. */
    public static Result measure(String name, List<byte[]> lines, LoadedModel model) {
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        long lineBytes = 0;
        for (byte[] line : lines) {
            joined.writeBytes(line);
            joined.write('\n');
            lineBytes += line.length;
        }
        Result stream = measure(name, joined.toByteArray(), model);
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        double reset = 0;
        for (int from = 0; from < lines.size(); from += 256) {
            reset += lossBits(patcher.patchRecords(lines.subList(from, Math.min(lines.size(), from + 256))));
        }
        double context = lossBits(patcher.patchRecordsInContext(lines));
        return new Result(name, stream.bytes(), stream.entropyModelBits(), stream.bltBits(), stream.predictedBits(),
                reset / lineBytes, context / lineBytes, stream.patches(), stream.cl100kTokens(), stream.compressorBits());
    }

    private static double lossBits(List<List<ClosedPatch>> records) {
        double bits = 0;
        for (List<ClosedPatch> record : records) {
            for (ClosedPatch p : record) {
                bits += Predictions.bits(p.logprobs());
            }
        }
        return bits;
    }

    public static Result measure(String name, byte[] data, LoadedModel model) {
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        List<byte[]> chunks = new ArrayList<>();
        for (int from = 0; from < data.length; from += CHUNK) {
            chunks.add(java.util.Arrays.copyOfRange(data, from, Math.min(data.length, from + CHUNK)));
        }
        double lossBits = 0;
        double entropyNats = 0;
        long patches = 0;
        double bltBits = 0;
        BltStage encoder = new BltStage(model.encoderSettings());
        int pending = 0;
        for (ClosedPatch patch : patcher.patchStream(chunks)) {
            lossBits += Predictions.bits(patch.logprobs());
            for (float entropy : patch.entropies()) {
                entropyNats += entropy;
            }
            patches++;
            encoder.add(patch.bytes());
            if (++pending == PATCHES_PER_CALL) {
                bltBits += encodeBits(encoder, model);
                pending = 0;
            }
        }
        bltBits += encodeBits(encoder, model);
        Map<String, Double> compressed = new LinkedHashMap<>();
        COMPRESSORS.forEach((tool, command) -> compressed.put(tool, compressedBits(command, data)));
        return new Result(name, data.length, lossBits / data.length, bltBits / data.length,
                entropyNats / LN2 / data.length, Double.NaN, Double.NaN, patches, cl100kTokens(data), compressed);
    }

    /** Runs BLT over the encoder's pending patches; returns their total bits (minus log2 p of each byte). */
    private static double encodeBits(BltStage encoder, LoadedModel model) {
        double bits = 0;
        for (PatchOutputs e : BatchedBltStages.runAll(List.of(encoder), model.bltScorer()).get(0)) {
            bits += e.bits();
        }
        return bits;
    }

    /** Tokens of cl100k_base (GPT-4's BPE) on the bytes read as UTF-8 (malformed bytes become U+FFFD). */
    static long cl100kTokens(byte[] data) {
        Encoding cl100k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        return cl100k.countTokensOrdinary(new String(data, StandardCharsets.UTF_8));
    }

    /** 8 × compressed size / input size, or NaN when the tool is not installed. */
    static double compressedBits(List<String> command, byte[] data) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return Double.NaN; // not installed
        }
        CompletableFuture<Void> feed = CompletableFuture.runAsync(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (InputStream out = process.getInputStream()) {
            long size = out.transferTo(OutputStream.nullOutputStream());
            feed.join();
            if (process.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue());
            }
            return 8.0 * size / data.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, List<String>> compressors() {
        Map<String, List<String>> c = new LinkedHashMap<>();
        c.put("xz -9e", List.of("xz", "-9e", "-c"));
        c.put("zstd -19", List.of("zstd", "-19", "-c", "-q"));
        c.put("gzip -9", List.of("gzip", "-9", "-c"));
        return java.util.Collections.unmodifiableMap(c);
    }
}

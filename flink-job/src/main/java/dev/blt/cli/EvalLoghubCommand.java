package dev.blt.cli;

import dev.blt.bltstage.PatchOutputs;
import dev.blt.eval.LoghubSystem;
import dev.blt.eval.MaskedLines;
import dev.blt.eval.RocAuc;
import dev.blt.eval.NearestNeighbour;
import dev.blt.eval.StreamCompression;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.CloseReason;
import dev.blt.patching.RecordContext;
import dev.blt.patching.RecordPatcher;
import dev.blt.patching.StreamPatcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code blt eval-loghub}: how well do the models predict real logs they were never trained on, and
 * how useful are patch embeddings and the surprise signal? The compression table gives bits per
 * byte of both models next to xz, zstd and gzip, calibration, and bytes per patch next to cl100k
 * bytes per token (see {@link StreamCompression}). For every Loghub system, each line gets the
 * record embedding the job publishes (lines as records of one key, in the chosen record context);
 * its nearest other line (cosine) should share its ground-truth template (EventId). Baselines: the
 * mean of the entropy model's hidden states, the byte histogram and TF-IDF on masked lines. Prints
 * Markdown tables.
 */
@Command(name = "eval-loghub", mixinStandardHelpOptions = true,
        description = "Nearest-neighbour template accuracy and surprise of BLT on Loghub (prints Markdown).")
public class EvalLoghubCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--top", defaultValue = "10") int top;
    @Option(names = "--surprise-systems", defaultValue = "HDFS,OpenSSH,Apache", split = ",") List<String> surpriseSystems;
    @Option(names = "--tables", defaultValue = "compression,embeddings", split = ",") List<String> tables;
    @Option(names = "--max-lines", defaultValue = "2000", paramLabel = "N") int maxLines;
    @Option(names = "--from-line", defaultValue = "0", paramLabel = "N") int fromLine;
    @Option(names = "--systems", split = ",", paramLabel = "NAME,...") List<String> onlySystems;
    @Option(names = "--record-context", defaultValue = "carry", paramLabel = "carry|reset") RecordContext recordContext;

    @Parameters(index = "0", paramLabel = "LOGHUB_DIR", description = "Folder with one sub-folder per system.")
    Path root;

    /** Per-line results of one system. */
    private record LineResults(List<float[]> blt, List<float[]> hidden, List<float[]> histogram, double[] bitsPerByte) {
    }

    @Override
    public Integer call() throws Exception {
        LoadedModel loaded = model.source().open();
        if (maxLines < 1) {
            throw new IllegalArgumentException("--max-lines must be >= 1, got " + maxLines);
        }
        if (fromLine < 0) {
            throw new IllegalArgumentException("--from-line must be >= 0, got " + fromLine);
        }
        List<LoghubSystem> systems = LoghubSystem.loadAll(root).stream()
                .filter(s -> onlySystems == null || onlySystems.contains(s.name()))
                .map(s -> s.slice(fromLine, maxLines)).toList();
        if (onlySystems != null && systems.size() != onlySystems.size()) {
            throw new IllegalArgumentException("--systems " + onlySystems + ": found only "
                    + systems.stream().map(LoghubSystem::name).toList() + " under " + root);
        }
        if (systems.stream().anyMatch(s -> s.lines().size() < 2)) {
            throw new IllegalArgumentException("--from-line " + fromLine + " leaves fewer than 2 lines in some system");
        }
        for (String table : tables) {
            if (!table.equals("compression") && !table.equals("embeddings")) {
                throw new IllegalArgumentException("--tables takes compression and embeddings, got '" + table + "'");
            }
        }
        if (tables.contains("compression")) {
            System.out.println(compressionTable(loaded, systems));
        }
        if (!tables.contains("embeddings")) {
            return 0;
        }
        long totalLines = systems.stream().mapToLong(s -> s.lines().size()).sum();
        ProgressBar progress = new ProgressBar(System.err, "eval-loghub", totalLines);
        StringBuilder accuracy = new StringBuilder("| system | lines | templates | BLT record embedding | entropy-model hidden states "
                + "| byte histogram | TF-IDF, masked lines |\n|---|---|---|---|---|---|---|\n");
        StringBuilder alerts = new StringBuilder("| system | lines | alerts | BLT surprise | masked-form rarity |\n|---|---|---|---|---|\n");
        StringBuilder surprise = new StringBuilder("| system | mean | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|\n");
        StringBuilder lists = new StringBuilder();
        double[] sums = new double[4];
        long done = 0;
        for (LoghubSystem system : systems) {
            LineResults r = embed(loaded, system.lines(), done, progress);
            done += system.lines().size();
            double blt = NearestNeighbour.sameLabelRate(r.blt(), system.eventIds());
            double hidden = NearestNeighbour.sameLabelRate(r.hidden(), system.eventIds());
            double hist = NearestNeighbour.sameLabelRate(r.histogram(), system.eventIds());
            List<String> masked = MaskedLines.maskAll(system.lines());
            double tfidf = NearestNeighbour.sameLabelRate(MaskedLines.tfidf(masked), system.eventIds());
            int n = system.lines().size();
            sums[0] += blt * n;
            sums[1] += hidden * n;
            sums[2] += hist * n;
            sums[3] += tfidf * n;
            accuracy.append(String.format("| %s | %d | %d | %.3f | %.3f | %.3f | %.3f |%n", system.name(), n,
                    system.eventIds().stream().distinct().count(), blt, hidden, hist, tfidf));
            if (system.labelled()) {
                boolean[] alert = new boolean[n];
                for (int i = 0; i < n; i++) {
                    alert[i] = system.alerts().get(i);
                }
                alerts.append(String.format("| %s | %d | %d | %.3f | %.3f |%n", system.name(), n,
                        system.alerts().stream().filter(a -> a).count(), RocAuc.of(r.bitsPerByte(), alert),
                        RocAuc.of(MaskedLines.rarityBits(masked), alert)));
            }
            double[] sorted = r.bitsPerByte().clone();
            Arrays.sort(sorted);
            surprise.append(String.format("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", system.name(),
                    Arrays.stream(sorted).average().orElse(0), pct(sorted, 0.5), pct(sorted, 0.9), pct(sorted, 0.99),
                    sorted[sorted.length - 1]));
            if (surpriseSystems.contains(system.name())) {
                lists.append(mostSurprising(system, r.bitsPerByte()));
            }
        }
        progress.done("");
        accuracy.append(String.format("| **all** | %d | | **%.3f** | **%.3f** | **%.3f** | **%.3f** |%n", totalLines,
                sums[0] / totalLines, sums[1] / totalLines, sums[2] / totalLines, sums[3] / totalLines));
        System.out.println("Nearest-neighbour line has the same EventId (leave-one-out, cosine, within each system); model "
                + loaded.modelId() + "\n");
        System.out.println(accuracy);
        System.out.println("Per-line surprise under BLT, bits per byte\n");
        System.out.println(surprise);
        if (systems.stream().anyMatch(LoghubSystem::labelled)) {
            System.out.println("Alert lines ranked by per-line score (ROC AUC; 0.5 is chance), systems with Loghub's Label column\n");
            System.out.println(alerts);
        } else {
            System.out.println("No system here has Loghub's Label column (BGL, Thunderbird), so no alert ranking.\n");
        }
        System.out.println(lists);
        return 0;
    }

    private static String compressionTable(LoadedModel loaded, List<LoghubSystem> systems) {
        ProgressBar progress = new ProgressBar(System.err, "compression", systems.size());
        StringBuilder t = new StringBuilder("Bits per byte on each system's lines joined with LF (stream segmentation, "
                + "model " + loaded.modelId() + ", context " + loaded.patcherSettings().contextBytes() + " bytes); calibration "
                + "= the entropy model's mean predicted entropy / its realised loss (1 is honest, below 1 overconfident); "
                + "cl100k tokens count the bytes read as UTF-8; the two record columns give the entropy model on the lines as "
                + "records (no newline), each alone and each after the earlier lines\n\n| system | bytes | entropy model | BLT |");
        StreamCompression.COMPRESSORS.keySet().forEach(tool -> t.append(' ').append(tool).append(" |"));
        t.append(" calibration | bytes/patch | cl100k bytes/token | patch/token | records alone | records in context |\n"
                + "|---|---|---|---|");
        StreamCompression.COMPRESSORS.keySet().forEach(tool -> t.append("---|"));
        t.append("---|---|---|---|---|---|\n");
        List<StreamCompression.Result> results = new ArrayList<>();
        for (LoghubSystem system : systems) {
            StreamCompression.Result r = StreamCompression.measure(system.name(), system.lines(), loaded);
            results.add(r);
            t.append(row(r.name(), r));
            progress.update(results.size(), system.name());
        }
        progress.done("");
        t.append(row("**all**", total(results)));
        t.append("\nTargets (issue 10): entropy model at most 2.0 bits/byte, BLT at most the entropy model, calibration "
                + "within 0.75..1.25, bytes per patch at least 1.5 × cl100k bytes per token.\n");
        return t.toString();
    }

    private static String row(String name, StreamCompression.Result r) {
        StringBuilder b = new StringBuilder(String.format("| %s | %d | %.2f | %.2f |", name, r.bytes(), r.entropyModelBits(),
                r.bltBits()));
        r.compressorBits().values().forEach(bits -> b.append(Double.isNaN(bits) ? " n/a |" : String.format(" %.2f |", bits)));
        return b.append(String.format(" %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", r.calibration(), r.bytesPerPatch(),
                r.bytesPerToken(), r.bytesPerPatch() / r.bytesPerToken(), r.recordResetBits(), r.recordContextBits()))
                .toString();
    }

    /** Every system together: sums of bits, bytes, patches and tokens. */
    private static StreamCompression.Result total(List<StreamCompression.Result> results) {
        long bytes = results.stream().mapToLong(StreamCompression.Result::bytes).sum();
        java.util.function.ToDoubleFunction<java.util.function.ToDoubleFunction<StreamCompression.Result>> weighted =
                f -> results.stream().mapToDouble(r -> f.applyAsDouble(r) * r.bytes()).sum() / bytes;
        java.util.Map<String, Double> compressors = new java.util.LinkedHashMap<>();
        StreamCompression.COMPRESSORS.keySet().forEach(tool -> compressors.put(tool,
                weighted.applyAsDouble(r -> r.compressorBits().get(tool))));
        return new StreamCompression.Result("all", bytes, weighted.applyAsDouble(StreamCompression.Result::entropyModelBits),
                weighted.applyAsDouble(StreamCompression.Result::bltBits),
                weighted.applyAsDouble(StreamCompression.Result::predictedBits),
                weighted.applyAsDouble(StreamCompression.Result::recordResetBits),
                weighted.applyAsDouble(StreamCompression.Result::recordContextBits),
                results.stream().mapToLong(StreamCompression.Result::patches).sum(),
                results.stream().mapToLong(StreamCompression.Result::cl100kTokens).sum(), compressors);
    }

    /**
     * The record embedding and bits per byte of each line exactly as the job's {@code RecordScore}
     * gives them (and {@code blt embed --per-record}): the lines as records of one key, in the given
     * record context, through the same patcher and BLT stage.
     */
    private LineResults embed(LoadedModel loaded, List<byte[]> lines, long done, ProgressBar progress) throws Exception {
        List<float[]> blt = new ArrayList<>();
        double[] bits = new double[lines.size()];
        RecordEncoders.Output output = new RecordEncoders.Output() {
            RecordSummary summary = new RecordSummary();

            @Override
            public void patch(long record, ClosedPatch patch, PatchOutputs encoded, byte[] continuation) {
                summary.add(encoded);
            }

            @Override
            public void endRecord(long record) {
                float[] e = summary.embedding();
                blt.add(e.length == 0 ? new float[1] : e);
                bits[(int) record] = summary.bitsPerByte();
                summary = new RecordSummary();
            }

            @Override
            public void endRun() {
                progress.update(done + blt.size(), "");
            }
        };
        RecordEncoders encoders = new RecordEncoders(loaded.encoderSettings(), loaded.bltScorer(), recordContext, 0,
                loaded.manifest().tokens().byteOffset(), output);
        RecordPatcher patcher = new RecordPatcher(loaded.patcherSettings(), loaded.entropyScorer(), recordContext,
                CloseReason.END_OF_RECORD, RecordPatcher.DEFAULT_MAX_RECORDS, RecordPatcher.DEFAULT_MAX_BYTES, encoders);
        for (int i = 0; i < lines.size(); i++) {
            patcher.add(i, lines.get(i), true);
        }
        patcher.finish();
        List<float[]> hidden = new ArrayList<>();
        List<float[]> histogram = new ArrayList<>();
        for (byte[] line : lines) {
            histogram.add(NearestNeighbour.byteHistogram(line));
            hidden.add(hiddenMean(loaded, line));
        }
        return new LineResults(blt, hidden, histogram, bits);
    }

    /** Mean of the entropy model's hidden state at each byte of the line, under the record windows. */
    private static float[] hiddenMean(LoadedModel loaded, byte[] line) throws Exception {
        StreamPatcher p = new StreamPatcher(loaded.patcherSettings());
        p.append(line);
        List<StreamPatcher.Window> windows = p.windowsToScore();
        if (windows.isEmpty()) {
            return new float[((Number) loaded.manifest().models().entropy().config().get("d_model")).intValue()];
        }
        List<float[][]> states = loaded.entropyRunner().hidden(windows.stream().map(StreamPatcher.Window::tokens).toList());
        List<float[]> perByte = new ArrayList<>();
        for (int w = 0; w < windows.size(); w++) {
            StreamPatcher.Window win = windows.get(w);
            int shift = win.bos() ? 1 : 0;
            for (long t = win.blockStart(); t < win.end(); t++) {
                perByte.add(states.get(w)[(int) (t - win.contextStart()) + shift]);
            }
        }
        return mean(perByte, 1);
    }

    private static float[] mean(List<float[]> vectors, int minDim) {
        if (vectors.isEmpty()) {
            return new float[minDim];
        }
        float[] m = new float[vectors.get(0).length];
        for (float[] v : vectors) {
            for (int i = 0; i < m.length; i++) {
                m[i] += v[i] / vectors.size();
            }
        }
        return m;
    }

    private static double pct(double[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    private String mostSurprising(LoghubSystem system, double[] bits) {
        Integer[] order = new Integer[bits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -bits[i]));
        StringBuilder sb = new StringBuilder("The " + top + " most surprising " + system.name() + " lines (bits per byte, EventId)\n\n```\n");
        for (int k = 0; k < Math.min(top, order.length); k++) {
            int i = order[k];
            String text = new String(system.lines().get(i), StandardCharsets.UTF_8);
            if (text.length() > 150) {
                text = text.substring(0, 147) + "...";
            }
            sb.append(String.format("%5.2f %-5s %s%n", bits[i], system.eventIds().get(i), text));
        }
        return sb.append("```\n\n").toString();
    }
}

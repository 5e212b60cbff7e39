package dev.blt.cli;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.blt.encoding.OfflineEncoder;
import dev.blt.model.EntropyModelRunner;
import dev.blt.model.InferenceSessions;
import dev.blt.model.LoadedModel;
import dev.blt.model.ModelBundle;
import dev.blt.model.SessionSettings;
import dev.blt.model.SharedSession;
import dev.blt.model.Device;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.BatchScoring;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.StreamPatcher;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code blt bench}: patching and BLT throughput on your input, with the machine it ran on. It
 * prints figures; it asserts nothing. {@code --entropy-onnx} benchmarks other entropy graphs (the
 * model-export size sweep) under the same manifest, in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure patching (entropy model) and BLT-stage throughput on FILEs.")
public class BenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--entropy-onnx", paramLabel = "FILE",
            description = "Also benchmark this entropy graph (repeatable), with the model's manifest.")
    List<Path> extraGraphs = new ArrayList<>();

    @Option(names = "--max-bytes", defaultValue = "262144",
            description = "Bytes of input to use, from the start of the files (default: ${DEFAULT-VALUE}).")
    int maxBytes;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed repetitions; the best counts (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--keys", defaultValue = "1000",
            description = "Keys for the keyed-records measurement: the lines are dealt out round-robin, one record "
                    + "per key at a time, each key's records in context, as the job runs them (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--no-blt", description = "Skip the BLT-stage measurement.")
    boolean noBlt;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Input files (log lines).")
    List<String> files;

    @Override
    public Integer call() throws Exception {
        LoadedModel loaded = model.source().open();
        List<byte[]> lines = readLines();
        long bytes = lines.stream().mapToLong(l -> l.length).sum();
        System.out.printf("blt bench, %s: %s, %d cores, %s %s; java %s; device %s, %d intra-op thread(s); model %s%n",
                java.time.LocalDate.now(java.time.ZoneOffset.UTC), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), model.device, model.source().intraOpThreads(), loaded.modelId());
        System.out.printf("input: %d lines, %d bytes (mean line %.0f bytes) from %s; best of %d%n%n", lines.size(), bytes,
                (double) bytes / Math.max(1, lines.size()), files, repeat);
        System.out.println("| path | KB/s | patches/s | bytes per patch |");
        System.out.println("|---|---|---|---|");

        List<String> names = new ArrayList<>(List.of(""));
        List<EntropyScorer> scorers = new ArrayList<>(List.of(loaded.entropyScorer()));
        for (Path graph : extraGraphs) {
            names.add(" (" + graph.getParent().getFileName() + "/" + graph.getFileName() + ")");
            scorers.add(scorerFor(graph, loaded));
        }
        ProgressBar progress = new ProgressBar(System.err, "bench", (long) scorers.size() * repeat);
        int step = 0;
        for (int i = 0; i < scorers.size(); i++) {
            OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), scorers.get(i));
            double[] best = new double[3]; // records batched, keyed records one at a time, stream chunks
            long[] patches = new long[3];
            for (int r = 0; r < repeat; r++) {
                long t0 = System.nanoTime();
                patches[0] = patchRecords(patcher, lines).stream().mapToLong(List::size).sum();
                long t1 = System.nanoTime();
                patches[2] = patcher.patchStream(chunks(lines, 65536)).size();
                long t2 = System.nanoTime();
                patches[1] = keyedRecords(loaded.patcherSettings(), scorers.get(i), lines, keys);
                long t3 = System.nanoTime();
                best[0] = Math.max(best[0], bytes / 1e3 / ((t1 - t0) / 1e9));
                best[2] = Math.max(best[2], (bytes + lines.size()) / 1e3 / ((t2 - t1) / 1e9));
                best[1] = Math.max(best[1], bytes / 1e3 / ((t3 - t2) / 1e9));
                progress.update(++step, "patching" + names.get(i));
            }
            String[] paths = {"patching: records, batched as `blt patch` does", "patching: records one at a time over "
                    + keys + " keys, in context (the job's path for log lines)", "patching: one stream in 64 KiB chunks"};
            long[] streamBytes = {bytes, bytes, bytes + lines.size()};
            for (int k = 0; k < 3; k++) {
                System.out.printf("| %s%s | %.1f | %.0f | %.2f |%n", paths[k], names.get(i), best[k],
                        best[k] * 1e3 / streamBytes[k] * patches[k], (double) streamBytes[k] / patches[k]);
            }
            System.out.printf("| cost of records one at a time against 64 KiB chunks%s | %.2f× | | |%n", names.get(i),
                    best[2] / best[1]);
        }
        progress.done("");
        if (!noBlt) {
            benchBlt(loaded, lines, bytes);
        }
        benchBpe(lines, bytes);
        return 0;
    }

    private void benchBlt(LoadedModel loaded, List<byte[]> lines, long bytes) {
        OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer());
        List<List<byte[]>> docs = new ArrayList<>();
        for (List<ClosedPatch> r : patchRecords(patcher, lines)) {
            docs.add(r.stream().map(ClosedPatch::bytes).toList());
        }
        long patches = docs.stream().mapToLong(List::size).sum();
        double best = 0;
        for (int r = 0; r < repeat; r++) {
            long t0 = System.nanoTime();
            for (int from = 0; from < docs.size(); from += PatchCommand.RECORD_BATCH) {
                OfflineEncoder.encodeDocuments(loaded.encoderSettings(), loaded.bltScorer(),
                        docs.subList(from, Math.min(docs.size(), from + PatchCommand.RECORD_BATCH)));
            }
            best = Math.max(best, (System.nanoTime() - t0) / 1e9 == 0 ? 0 : bytes / 1e3 / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf("| BLT stage: embeddings and predictions, records each alone, batched | %.1f | %.0f | %.2f |%n",
                best, best * 1e3 / bytes * patches, (double) bytes / patches);
    }

    /** cl100k BPE (jtokkit) on the same lines, one at a time, in the same JVM: the tokenizer to beat. */
    private void benchBpe(List<byte[]> lines, long bytes) {
        Encoding cl100k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        List<String> text = lines.stream().map(l -> new String(l, StandardCharsets.UTF_8)).toList();
        double best = 0;
        long tokens = 0;
        for (int r = 0; r < repeat; r++) {
            long t0 = System.nanoTime();
            tokens = 0;
            for (String line : text) {
                tokens += cl100k.countTokensOrdinary(line);
            }
            best = Math.max(best, bytes / 1e3 / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf("| cl100k BPE (jtokkit), line by line, for comparison | %.1f | %.0f tokens/s | %.2f bytes per token |%n",
                best, best * 1e3 / bytes * tokens, (double) bytes / tokens);
    }

    /**
     * The job's path for log lines: lines dealt round-robin over {@code keys} keys, one record per key
     * at a time, each key's records in context (one patcher per key, as the operator keeps), and
     * bundles of 64 KiB scored in one batched call, as the operator's default bundle does.
     */
    private static long keyedRecords(PatcherSettings settings, EntropyScorer scorer, List<byte[]> lines, int keys) {
        StreamPatcher[] patchers = new StreamPatcher[keys];
        int next = 0;
        long patches = 0;
        while (next < lines.size()) {
            java.util.Set<StreamPatcher> bundle = new java.util.LinkedHashSet<>();
            int bundleBytes = 0;
            while (next < lines.size() && bundleBytes < 65536) {
                int key = next % keys;
                if (patchers[key] == null) {
                    patchers[key] = new StreamPatcher(settings);
                }
                patchers[key].append(lines.get(next));
                patchers[key].endRecord();
                bundle.add(patchers[key]);
                bundleBytes += lines.get(next).length;
                next++;
            }
            BatchScoring.scoreAll(new ArrayList<>(bundle), scorer);
            for (StreamPatcher p : bundle) {
                patches += p.drain().size();
            }
        }
        return patches;
    }

    private static List<List<ClosedPatch>> patchRecords(OfflinePatcher patcher, List<byte[]> lines) {
        List<List<ClosedPatch>> out = new ArrayList<>();
        for (int from = 0; from < lines.size(); from += PatchCommand.RECORD_BATCH) {
            out.addAll(patcher.patchRecords(lines.subList(from, Math.min(lines.size(), from + PatchCommand.RECORD_BATCH))));
        }
        return out;
    }

    private static List<byte[]> chunks(List<byte[]> lines, int size) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] l : lines) {
            all.writeBytes(l);
            all.write('\n');
        }
        byte[] data = all.toByteArray();
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < data.length; i += size) {
            out.add(java.util.Arrays.copyOfRange(data, i, Math.min(data.length, i + size)));
        }
        return out;
    }

    private List<byte[]> readLines() throws Exception {
        List<byte[]> lines = new ArrayList<>();
        long total = 0;
        for (String f : files) {
            byte[] data;
            try (InputStream in = InputFiles.open(f)) {
                data = in.readAllBytes();
            }
            for (byte[] line : InputFiles.lines(data)) {
                if (total >= maxBytes) {
                    return lines;
                }
                lines.add(line);
                total += line.length;
            }
        }
        return lines;
    }

    private EntropyScorer scorerFor(Path graph, LoadedModel loaded) throws Exception {
        byte[] bytes = Files.readAllBytes(graph);
        SharedSession session = InferenceSessions.acquire(
                new ModelBundle.ModelFile(graph.toString(), ModelBundle.sha256(bytes), bytes),
                new SessionSettings(Device.parse(model.device), model.source().intraOpThreads()));
        return LoadedModel.scorerOf(
                new EntropyModelRunner(session, loaded.manifest(), EntropyModelRunner.DEFAULT_TOKEN_BUDGET), graph.toString());
    }
}

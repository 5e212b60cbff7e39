package dev.blt.cli;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.blt.bltstage.BatchedBltStages;
import dev.blt.bltstage.BltStage;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.model.EntropyModelRunner;
import dev.blt.model.InferenceSessions;
import dev.blt.flink.EntropyPatcherOperator;
import dev.blt.model.LoadedModel;
import dev.blt.model.MatMulRate;
import dev.blt.model.ModelManifest;
import dev.blt.model.ModelBundle;
import dev.blt.model.ModelSource;
import dev.blt.eval.ModelComparison;
import dev.blt.model.SessionSettings;
import dev.blt.model.SharedSession;
import dev.blt.model.Device;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.BatchScoring;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.PatcherSettings;
import dev.blt.patching.StreamPatcher;
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

    @Option(names = "--entropy-onnx", paramLabel = "FILE") List<Path> extraGraphs = new ArrayList<>();
    @Option(names = "--max-bytes", defaultValue = "262144") int maxBytes;
    @Option(names = "--repeat", defaultValue = "3") int repeat;
    @Option(names = "--keys", defaultValue = "1000") int keys;
    @Option(names = "--key-counts", split = ",", defaultValue = "1,100,10000", paramLabel = "N,N,...") List<Integer> keyCounts = new ArrayList<>();
    @Option(names = "--no-key-scaling") boolean noKeyScaling;
    @Option(names = "--peak-seconds", defaultValue = "2") double peakSeconds;
    @Option(names = "--call-tokens", split = ",", paramLabel = "N,N,...") List<Long> callTokens = new ArrayList<>();
    @Option(names = "--no-blt") boolean noBlt;
    @Option(names = "--compare-model", paramLabel = "DIR") List<Path> compareModels = new ArrayList<>();

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
        ModelManifest.FlopsPerByte flops = loaded.manifest().flopsPerByte();
        int dModel = ((Number) loaded.manifest().models().entropy().config().get("d_model")).intValue();
        int rows = (int) EntropyModelRunner.DEFAULT_TOKEN_BUDGET;
        SessionSettings settings = new SessionSettings(Device.parse(model.device), model.source().intraOpThreads());
        // The peak first, so that every row can give its share of it.
        double peak = MatMulRate.gflops(settings, rows, dModel, 3 * dModel, peakSeconds);
        double squarePeak = MatMulRate.gflops(settings, SQUARE, SQUARE, SQUARE, peakSeconds);
        System.out.println("| path | KB/s | patches/s | bytes per patch | useful GFLOP/s (share of matmul peak) | notes |");
        System.out.println("|---|---|---|---|---|---|");

        List<LoadedModel> variants = new ArrayList<>();
        for (Path dir : compareModels) {
            variants.add(new ModelSource(dir.toString(), model.device, model.source().intraOpThreads(), null).open());
        }
        List<String> names = new ArrayList<>(List.of(""));
        List<EntropyScorer> scorers = new ArrayList<>(List.of(loaded.entropyScorer()));
        List<PatcherSettings> settingsOf = new ArrayList<>(List.of(loaded.patcherSettings()));
        for (Path graph : extraGraphs) {
            names.add(" (" + graph.getParent().getFileName() + "/" + graph.getFileName() + ")");
            scorers.add(scorerFor(graph, loaded));
            settingsOf.add(loaded.patcherSettings());
        }
        for (LoadedModel variant : variants) {
            names.add(" (" + variant.modelId() + ")");
            scorers.add(variant.entropyScorer());
            settingsOf.add(variant.patcherSettings());
        }
        double[] recordsBatched = new double[scorers.size()];
        ProgressBar progress = new ProgressBar(System.err, "bench", (long) scorers.size() * repeat);
        int step = 0;
        for (int i = 0; i < scorers.size(); i++) {
            OfflinePatcher patcher = new OfflinePatcher(settingsOf.get(i), scorers.get(i));
            double[] best = new double[3]; // records batched, keyed records one at a time, stream chunks
            long[] patches = new long[3];
            for (int r = 0; r < repeat; r++) {
                long t0 = System.nanoTime();
                patches[0] = patchRecords(patcher, lines).stream().mapToLong(List::size).sum();
                long t1 = System.nanoTime();
                patches[2] = patcher.patchStream(chunks(lines, 65536)).size();
                long t2 = System.nanoTime();
                patches[1] = keyedRun(settingsOf.get(i), scorers.get(i), lines, keys, maxLive(loaded)).patches();
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
                System.out.printf("| %s%s | %.1f | %.0f | %.2f | %s | |%n", paths[k], names.get(i), best[k],
                        best[k] * 1e3 / streamBytes[k] * patches[k], (double) streamBytes[k] / patches[k],
                        useful(flops == null ? 0 : flops.entropyModel(), best[k], peak));
            }
            System.out.printf("| cost of records one at a time against 64 KiB chunks%s | %.2f× | | | | |%n", names.get(i),
                    best[2] / best[1]);
            recordsBatched[i] = best[0];
        }
        progress.done("");
        if (!callTokens.isEmpty()) {
            benchCallSizes(loaded, lines, bytes, flops == null ? 0 : flops.entropyModel(), peak);
        }
        if (!noKeyScaling) {
            benchKeyScaling(loaded, lines, bytes, flops == null ? 0 : flops.entropyModel(), peak);
        }
        double[] blt = new double[1 + variants.size()]; // the model's, then each variant's
        if (!noBlt) {
            blt[0] = benchBlt(loaded, "", lines, bytes, flops == null ? 0 : flops.blt(), peak);
            for (int v = 0; v < variants.size(); v++) {
                LoadedModel variant = variants.get(v);
                blt[1 + v] = benchBlt(variant, " (" + variant.modelId() + ")", lines, bytes,
                        flops == null ? 0 : flops.blt(), peak);
            }
        }
        benchBpe(lines, bytes);
        System.out.printf("| fp32 matrix multiply, ONNX Runtime: [%d×%d]·[%d×%d], the entropy model's QKV projection over "
                + "one call's token budget | | | | %.1f (the peak) | |%n", rows, dModel, dModel, 3 * dModel, peak);
        System.out.printf("| fp32 matrix multiply, ONNX Runtime: [%d×%d]·[%d×%d] | | | | %.1f | |%n",
                SQUARE, SQUARE, SQUARE, SQUARE, squarePeak);
        if (flops == null) {
            System.out.println("\n(this manifest has no flops_per_byte: useful FLOP/s not shown)");
        }
        for (int v = 0; v < variants.size(); v++) {
            int row = scorers.size() - variants.size() + v;
            printComparison(loaded, variants.get(v), lines, recordsBatched[0], recordsBatched[row], blt[0], blt[1 + v]);
            variants.get(v).release();
        }
        loaded.release(); // closes the sessions, which write their profiles under BLT_ORT_PROFILE_DIR
        return 0;
    }

    /**
     * The input as one stream in one piece through the full-window entropy graph, once per --call-tokens
     * budget, so that the budget alone sets the size of each call: how large a call the device needs
     * (a GPU wants far larger calls than a CPU core).
     */
    private void benchCallSizes(LoadedModel loaded, List<byte[]> lines, long bytes, long flopsPerByte, double peak)
            throws Exception {
        ModelBundle.ModelFile graph = model.source().bundle().entropyModel();
        try (SharedSession session = InferenceSessions.acquire(graph,
                new SessionSettings(Device.parse(model.device), model.source().intraOpThreads()))) {
            for (long budget : callTokens) {
                EntropyScorer scorer = new EntropyModelRunner(session, loaded.manifest(), budget);
                OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), scorer);
                double best = 0;
                long patches = 0;
                for (int r = 0; r < repeat; r++) {
                    long t0 = System.nanoTime();
                    patches = patcher.patchStream(chunks(lines, Integer.MAX_VALUE)).size();
                    best = Math.max(best, (bytes + lines.size()) / 1e3 / ((System.nanoTime() - t0) / 1e9));
                }
                System.out.printf("| patching: one stream in one piece, full-window graph, at most %d tokens per call "
                                + "| %.1f | %.0f | %.2f | %s | |%n", budget, best, best * 1e3 / (bytes + lines.size()) * patches,
                        (double) (bytes + lines.size()) / patches, useful(flopsPerByte, best, peak));
            }
        }
    }

    /** How many keys the operator keeps live under its default window-cache budget. */
    private static int maxLive(LoadedModel loaded) {
        return (int) Math.min(Integer.MAX_VALUE,
                EntropyPatcherOperator.DEFAULT_WINDOW_CACHE_BYTES / Math.max(1, loaded.windowCacheBytes()));
    }

    /** The large square shape of the second peak: what the machine does with ample work per call. */
    private static final int SQUARE = 1024;

    /** "useful GFLOP/s (share of peak)" for a path running at kbPerSecond, or empty without FLOPs per byte. */
    private static String useful(long flopsPerByte, double kbPerSecond, double peakGflops) {
        if (flopsPerByte <= 0) {
            return "";
        }
        double gflops = flopsPerByte * kbPerSecond * 1e3 / 1e9;
        return String.format("%.2f (%.0f%%)", gflops, 100 * gflops / peakGflops);
    }

    /**
     * The keyed-records path with each of --key-counts keys over the same lines: throughput against the
     * first count's, the patcher state per key (the bytes a checkpoint writes for it) and the heap after.
     */
    /** What a keyed run leaves: its patch count, every key's state (null for a key without a record), live patchers. */
    private record KeyedRun(long patches, byte[][] state, java.util.Map<Integer, StreamPatcher> live) {}

    private void benchKeyScaling(LoadedModel loaded, List<byte[]> lines, long bytes, long flopsPerByte, double peak) {
        double first = 0;
        for (int keyCount : keyCounts) {
            double best = 0;
            KeyedRun run = null;
            for (int r = 0; r < repeat; r++) {
                run = null; // let the previous run's patchers go before this one's heap is measured
                long t0 = System.nanoTime();
                run = keyedRun(loaded.patcherSettings(), loaded.entropyScorer(), lines, keyCount, maxLive(loaded));
                best = Math.max(best, bytes / 1e3 / ((System.nanoTime() - t0) / 1e9));
            }
            first = first == 0 ? best : first;
            long stateBytes = 0;
            int withState = 0;
            for (byte[] keyState : run.state()) {
                if (keyState != null) {
                    stateBytes += keyState.length;
                    withState++;
                }
            }
            System.gc();
            long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            System.out.printf("| key scaling: records one at a time over %d keys (%d hold state) | %.1f | %.0f | %.2f | %s "
                            + "| %.0f%% of %d key(s); %.0f bytes of patcher state per key; %d keys live (window "
                            + "caches); heap %.0f MiB after |%n",
                    keyCount, withState, best, best * 1e3 / bytes * run.patches(), (double) bytes / run.patches(),
                    useful(flopsPerByte, best, peak), 100 * best / first, keyCounts.get(0),
                    withState == 0 ? 0.0 : (double) stateBytes / withState, run.live().size(), heap / 1048576.0);
        }
    }

    /** The variant against the base on the same bytes, one stream in 64 KiB chunks, then the speed-ups measured above. */
    private static void printComparison(LoadedModel base, LoadedModel variant, List<byte[]> lines, double basePatching,
                                        double variantPatching, double baseBlt, double variantBlt) {
        ModelComparison.Result r = ModelComparison.compare(pipeline(base), pipeline(variant), chunks(lines, 65536));
        System.out.printf("%n| %s against %s, one stream of the same bytes in 64 KiB chunks | %s | %s | change |%n",
                variant.modelId(), base.modelId(), base.modelId(), variant.modelId());
        System.out.println("|---|---|---|---|");
        System.out.printf("| entropy model bits/byte | %.4f | %.4f | %+.4f |%n", r.base().entropyModelBitsPerByte(),
                r.variant().entropyModelBitsPerByte(), r.variant().entropyModelBitsPerByte() - r.base().entropyModelBitsPerByte());
        System.out.printf("| BLT bits/byte (each on its own patches) | %.4f | %.4f | %+.4f |%n", r.base().bltBitsPerByte(),
                r.variant().bltBitsPerByte(), r.variant().bltBitsPerByte() - r.base().bltBitsPerByte());
        System.out.printf("| bytes per patch | %.3f | %.3f | %+.3f |%n", r.base().bytesPerPatch(), r.variant().bytesPerPatch(),
                r.variant().bytesPerPatch() - r.base().bytesPerPatch());
        System.out.printf("| patch boundaries identical (starts both chose / starts either chose) | | | %.2f%% |%n",
                100 * r.identicalBoundaries());
        System.out.printf("| patching KB/s, records batched | %.1f | %.1f | %.2f× |%n", basePatching, variantPatching,
                variantPatching / basePatching);
        if (baseBlt > 0) {
            System.out.printf("| BLT stage KB/s | %.1f | %.1f | %.2f× |%n", baseBlt, variantBlt, variantBlt / baseBlt);
        }
    }

    private static ModelComparison.Pipeline pipeline(LoadedModel m) {
        return new ModelComparison.Pipeline(m.patcherSettings(), m.entropyScorer(), m.encoderSettings(), m.bltScorer());
    }

    private double benchBlt(LoadedModel loaded, String name, List<byte[]> lines, long bytes, long flopsPerByte, double peak) {
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
                OfflineBltStage.encodeDocuments(loaded.encoderSettings(), loaded.bltScorer(),
                        docs.subList(from, Math.min(docs.size(), from + PatchCommand.RECORD_BATCH)));
            }
            best = Math.max(best, (System.nanoTime() - t0) / 1e9 == 0 ? 0 : bytes / 1e3 / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf("| BLT stage: embeddings and predictions, records each alone, batched%s | %.1f | %.0f | %.2f | %s | |%n",
                name, best, best * 1e3 / bytes * patches, (double) bytes / patches, useful(flopsPerByte, best, peak));
        benchBltStream(loaded, name, lines, flopsPerByte, peak);
        return best;
    }

    /**
     * The BLT stage's steady state: the patches of one long stream (the lines in 64 KiB chunks), fed
     * to one stage a chunk's patches at a time, as a long-lived key's bundles reach it.
     */
    private void benchBltStream(LoadedModel loaded, String name, List<byte[]> lines, long flopsPerByte, double peak) {
        List<ClosedPatch> stream = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer())
                .patchStream(chunks(lines, 65536));
        long bytes = stream.stream().mapToLong(p -> p.bytes().length).sum();
        double best = 0;
        for (int r = 0; r < repeat; r++) {
            BltStage stage = new BltStage(loaded.encoderSettings());
            long t0 = System.nanoTime();
            long fed = 0;
            long chunkEnd = 65536;
            for (ClosedPatch p : stream) {
                stage.add(p.bytes());
                fed += p.bytes().length;
                if (fed >= chunkEnd) {
                    BatchedBltStages.runAll(List.of(stage), loaded.bltScorer());
                    chunkEnd += 65536;
                }
            }
            BatchedBltStages.runAll(List.of(stage), loaded.bltScorer());
            best = Math.max(best, bytes / 1e3 / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf("| BLT stage: one stream in 64 KiB chunks%s | %.1f | %.0f | %.2f | %s | |%n",
                name, best, best * 1e3 / bytes * stream.size(), (double) bytes / stream.size(),
                useful(flopsPerByte, best, peak));
    }

    /** cl100k BPE (jtokkit) on the same lines, one at a time, in the same JVM: the tokenizer to beat. */
    private void benchBpe(List<byte[]> lines, long bytes) {
        long[] tokens = new long[1];
        double best = 0;
        for (int r = 0; r < repeat; r++) {
            best = Math.max(best, bpeKbPerSecond(lines, tokens));
        }
        System.out.printf("| cl100k BPE (jtokkit), line by line, for comparison | %.1f | %.0f tokens/s | %.2f bytes per token | | |%n",
                best, best * 1e3 / bytes * tokens[0], (double) bytes / tokens[0]);
    }

    /**
     * cl100k BPE (jtokkit) over the lines, one at a time: the fixed reference every throughput figure
     * is stated against. One pass over a few hundred KB takes milliseconds, mostly in a JIT that has
     * not compiled the encoder yet (a cold pass ran at a twelfth of a warm one), so passes repeat for
     * at least a second and the best one counts. Returns KB/s; tokens[0] gets the token count.
     */
    public static double bpeKbPerSecond(List<byte[]> lines, long[] tokens) {
        Encoding cl100k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        List<String> text = lines.stream().map(l -> new String(l, StandardCharsets.UTF_8)).toList();
        long bytes = lines.stream().mapToLong(l -> l.length).sum();
        double best = 0;
        long until = System.nanoTime() + 1_000_000_000L;
        for (int pass = 0; pass < 3 || System.nanoTime() < until; pass++) {
            long t0 = System.nanoTime();
            long count = 0;
            for (String line : text) {
                count += cl100k.countTokensOrdinary(line);
            }
            best = Math.max(best, bytes / 1e3 / ((System.nanoTime() - t0) / 1e9));
            tokens[0] = count;
        }
        return best;
    }

    /**
     * The job's path for log lines: lines dealt round-robin over {@code keys} keys, one record per key
     * at a time, each key's records in context, and bundles of 64 KiB scored in one batched call, as
     * the operator's default bundle does. Like the operator, it keeps the patchers (with their window
     * caches) of at most {@code maxLive} recently used keys; the others are kept as their snapshot
     * bytes, the keyed state, and restored when their key comes back, rebuilding the cache.
     */
    private static KeyedRun keyedRun(PatcherSettings settings, EntropyScorer scorer, List<byte[]> lines, int keys,
                                     int maxLive) {
        byte[][] state = new byte[keys][];
        java.util.LinkedHashMap<Integer, StreamPatcher> live = new java.util.LinkedHashMap<>(16, 0.75f, true);
        int next = 0;
        long patches = 0;
        while (next < lines.size()) {
            java.util.Set<StreamPatcher> bundle = new java.util.LinkedHashSet<>();
            int bundleBytes = 0;
            while (next < lines.size() && bundleBytes < 65536) {
                int key = next % keys;
                StreamPatcher patcher = live.computeIfAbsent(key, k -> state[k] == null
                        ? new StreamPatcher(settings) : StreamPatcher.restore(settings, state[k]));
                patcher.append(lines.get(next));
                patcher.endRecord();
                bundle.add(patcher);
                bundleBytes += lines.get(next).length;
                next++;
            }
            BatchScoring.scoreAll(new ArrayList<>(bundle), scorer);
            for (StreamPatcher p : bundle) {
                patches += p.drain().size();
            }
            // Evict after the bundle, when every patcher is drained: its snapshot is then its whole state.
            for (var it = live.entrySet().iterator(); live.size() > maxLive && it.hasNext(); ) {
                var eldest = it.next();
                state[eldest.getKey()] = eldest.getValue().snapshot();
                it.remove();
            }
        }
        live.forEach((key, patcher) -> state[key] = patcher.snapshot());
        return new KeyedRun(patches, state, live);
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
            byte[] data = InputFiles.readAll(f);
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
        return new EntropyModelRunner(session, loaded.manifest(), EntropyModelRunner.DEFAULT_TOKEN_BUDGET);
    }
}

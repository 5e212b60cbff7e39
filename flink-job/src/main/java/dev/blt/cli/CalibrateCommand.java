package dev.blt.cli;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.PatchingRule;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import dev.blt.patching.ThetaCalibrator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blt calibrate}: find theta for a target average patch size on your own data. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Find the entropy threshold theta that gives a target average patch size on FILEs.")
public class CalibrateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--target-avg-patch-size", required = true, paramLabel = "BYTES") double target;
    @Option(names = "--segmentation", defaultValue = "stream", paramLabel = "stream|record") Segmentation segmentation;

    @Mixin
    RecordContextOption recordContext;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files of representative input.")
    List<String> files;

    @Override
    public Integer call() throws Exception {
        LoadedModel loaded = model.source().open();
        OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer());
        long total = 0;
        for (String f : files) {
            total += "-".equals(f) ? 0 : Files.size(Path.of(f));
        }
        ProgressBar progress = new ProgressBar(System.err, "scoring", total);
        List<float[]> documents = new ArrayList<>();
        long done = 0;
        for (String f : files) {
            byte[] data = InputFiles.readAll(f);
            List<byte[]> docs = segmentation == Segmentation.STREAM ? List.of(data) : InputFiles.lines(data);
            if (segmentation == Segmentation.RECORD && recordContext.value == RecordContext.CARRY) {
                // one file is one key: each line after the lines before it
                for (List<ClosedPatch> doc : patcher.patchRecordsInContext(docs)) {
                    documents.add(entropies(doc));
                }
                done += data.length;
                progress.update(done, f);
                continue;
            }
            for (int from = 0; from < docs.size(); from += PatchCommand.RECORD_BATCH) {
                List<byte[]> batch = docs.subList(from, Math.min(docs.size(), from + PatchCommand.RECORD_BATCH));
                List<List<ClosedPatch>> patched = segmentation == Segmentation.STREAM
                        ? List.of(patcher.patchStream(batch)) : patcher.patchRecords(batch);
                for (List<ClosedPatch> doc : patched) {
                    documents.add(entropies(doc));
                }
                done += batch.stream().mapToLong(b -> b.length).sum();
                progress.update(done, f);
            }
        }
        progress.done("");
        PatchingRule rule = loaded.patcherSettings().rule();
        ThetaCalibrator.Calibration c = ThetaCalibrator.calibrate(documents, target, rule.thetaMonotonic(),
                rule.maxPatchLength());
        double before = (double) c.bytes() / ThetaCalibrator.countPatches(documents, rule);
        System.out.printf("theta = %.4f nats (%.4f bits)%n", c.theta(), c.theta() / Math.log(2));
        System.out.printf("average patch size %.3f bytes over %d bytes, %d patches%n", c.averagePatchSize(), c.bytes(),
                c.patches());
        System.out.printf("the model's own theta %.4f gives %.3f bytes on this input%n", rule.theta(), before);
        System.out.printf("use it with: --theta %.4f%n", c.theta());
        return 0;
    }

    private static float[] entropies(List<ClosedPatch> patches) {
        int n = patches.stream().mapToInt(ClosedPatch::length).sum();
        float[] out = new float[n];
        int i = 0;
        for (ClosedPatch p : patches) {
            System.arraycopy(p.entropies(), 0, out, i, p.length());
            i += p.length();
        }
        return out;
    }
}

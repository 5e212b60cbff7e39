package dev.blt.testing;

import dev.blt.model.Device;
import dev.blt.model.LoadedModel;
import dev.blt.model.ModelBundle;
import dev.blt.model.ModelManifest;
import dev.blt.model.ModelSource;
import dev.blt.model.SessionSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The model folders the tests run against: every folder under model-export/artifacts/ that has a
 * manifest.json, so a newly exported model is tested without touching the tests, and every folder
 * under model-export/build/test-models/ (run-tests.sh has model-export's tests write a model
 * fine-tuned by adapt.py there, so the Java checks cover what adapt.py writes).
 */
public final class ModelFolders {

    private ModelFolders() {}

    public static Path artifactsDir() {
        // Surefire runs in the module directory and sets basedir; an IDE may only do the former.
        return Path.of(System.getProperty("basedir", "")).toAbsolutePath()
                .resolve("../model-export/artifacts").normalize();
    }

    /** Where run-tests.sh leaves models written by model-export's scripts during the test run. */
    public static Path generatedDir() {
        return artifactsDir().resolveSibling("build").resolve("test-models");
    }

    /** The folders, sorted; fails (never skips) when there are none, since then nothing is tested. */
    public static List<Path> all() {
        Path dir = artifactsDir();
        List<Path> folders = new java.util.ArrayList<>(modelsUnder(dir));
        folders.addAll(modelsUnder(generatedDir()));
        if (folders.isEmpty()) {
            throw new IllegalStateException("no model folder (a folder with manifest.json) under " + dir
                    + ": export one with model-export/train.py before running the model tests");
        }
        return folders;
    }

    private static List<Path> modelsUnder(Path dir) {
        try (Stream<Path> children = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
            return children.filter(p -> Files.isRegularFile(p.resolve(ModelBundle.MANIFEST_FILE)))
                    .sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shipped default model, the one the jar bundles. */
    public static Path shipped() {
        return artifact("blt-default", "run model-export/train.py --config default");
    }

    /** The shipped model's int8 variant (model-export/quantize.py). */
    public static Path shippedInt8() {
        return artifact("blt-default-int8", "run model-export/quantize.py");
    }

    /**
     * The small trained model (blt-tiny: 16-byte entropy context and blocks, a 4-patch BLT window), for
     * tests of the code rather than of the weights: chunking, batching, restore and dead letters cross
     * many blocks in a few hundred bytes and run in a fraction of the shipped model's time. The
     * shipped model's own behaviour is covered by the golden-fixture, model-folder and default-job tests.
     */
    public static Path tiny() {
        return artifact("blt-tiny", "run model-export/train.py --config tiny");
    }

    private static Path artifact(String name, String howToMakeIt) {
        Path dir = artifactsDir().resolve(name);
        if (!Files.isRegularFile(dir.resolve(ModelBundle.MANIFEST_FILE))) {
            throw new IllegalStateException("the model " + dir + " is missing: " + howToMakeIt);
        }
        return dir;
    }

    /** A model folder loaded for the tests' device (see {@link #sessionSettings()}). */
    public static LoadedModel load(Path folder) {
        SessionSettings s = sessionSettings();
        return new ModelSource(folder.toString(), s.device().toString(), s.intraOpThreads(), null).open();
    }

    /** For {@code @MethodSource}: the folders as test arguments. */
    public static Stream<Path> stream() {
        return all().stream();
    }

    /** For {@code @MethodSource}: the folders of sliding-window models, which stream through a rolling cache. */
    public static Stream<Path> rolling() {
        return all().stream().filter(ModelFolders::isRolling);
    }

    /** For {@code @MethodSource}: the folders of models that stream in aligned blocks. */
    public static Stream<Path> aligned() {
        return all().stream().filter(folder -> !isRolling(folder));
    }

    private static boolean isRolling(Path folder) {
        try {
            Path manifest = folder.resolve(ModelBundle.MANIFEST_FILE);
            return ModelManifest.parse(Files.readAllBytes(manifest), manifest.toString()).models().entropyRolling() != null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Session settings for the tests: the CPU unless {@code -Dblt.test.device=cuda:N} (with a
     * {@code -Pgpu} build) runs the same checks on a GPU.
     */
    public static SessionSettings sessionSettings() {
        return SessionSettings.on(Device.parse(System.getProperty("blt.test.device", "cpu")));
    }
}

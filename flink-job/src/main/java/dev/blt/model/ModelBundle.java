package dev.blt.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model as shipped: its manifest and the bytes of its two ONNX graphs, with every file the
 * manifest lists checked for presence, size and SHA-256 before anything is handed out. A model is a
 * folder written by {@code model-export/train.py} (for {@code --model DIR}) or the same folder
 * bundled into the job jar under {@code models/<name>/} (the default model).
 *
 * <p>Every listed file is verified, not only the graphs: a folder whose fixtures do not match the
 * manifest was not produced by one export run, so its graphs cannot be trusted either.
 */
public final class ModelBundle {

    public static final String MANIFEST_FILE = "manifest.json";

    /** Where the build puts the default model in the job jar (see flink-job/pom.xml). */
    public static final String DEFAULT_RESOURCE = "models/blt-default";

    private final String location;
    private final ModelManifest manifest;
    private final Map<String, byte[]> modelBytes;

    private ModelBundle(String location, ModelManifest manifest, Map<String, byte[]> modelBytes) {
        this.location = location;
        this.manifest = manifest;
        this.modelBytes = modelBytes;
    }

    /** Reads and verifies the model folder {@code dir}. */
    public static ModelBundle fromDirectory(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new ModelLoadException("model folder " + root + " does not exist or is not a directory");
        }
        return load(root.toString(), new Source() {
            @Override
            public String describe(String file) {
                return root.resolve(file).toString();
            }

            @Override
            public InputStream open(String file) throws IOException {
                try {
                    return Files.newInputStream(root.resolve(file));
                } catch (NoSuchFileException e) {
                    return null;
                }
            }
        });
    }

    /** Reads and verifies the model bundled under classpath folder {@code resourceDir}. */
    public static ModelBundle fromClasspath(String resourceDir) {
        return fromClasspath(ModelBundle.class.getClassLoader(), resourceDir);
    }

    /**
     * Reads and verifies the model under {@code resourceDir} of {@code loader}. In Flink, pass the
     * user-code class loader when the model lives in the job jar rather than in lib/.
     */
    public static ModelBundle fromClasspath(ClassLoader loader, String resourceDir) {
        String prefix = resourceDir.endsWith("/") ? resourceDir : resourceDir + "/";
        return load("classpath:" + prefix, new Source() {
            @Override
            public String describe(String file) {
                return "classpath:" + prefix + file;
            }

            @Override
            public InputStream open(String file) {
                return loader.getResourceAsStream(prefix + file);
            }
        });
    }

    public ModelManifest manifest() {
        return manifest;
    }

    /** Where the model was loaded from, for logs and messages. */
    public String location() {
        return location;
    }

    /** The verified bytes of the entropy model graph. */
    public ModelFile entropyModel() {
        return modelFile(manifest.models().entropy().file());
    }

    /** The verified bytes of the incremental entropy graph, or null when the model has none. */
    public ModelFile entropyStepModel() {
        ModelManifest.ModelSpec step = manifest.models().entropyStep();
        return step == null ? null : modelFile(step.file());
    }

    /** The verified bytes of the rolling entropy graph, or null when the model streams in aligned blocks. */
    public ModelFile entropyRollingModel() {
        ModelManifest.ModelSpec rolling = manifest.models().entropyRolling();
        return rolling == null ? null : modelFile(rolling.file());
    }

    /** The verified bytes of the rolling BLT graph, or null when the BLT stage runs in aligned blocks. */
    public ModelFile bltRollingModel() {
        ModelManifest.ModelSpec rolling = manifest.models().bltRolling();
        return rolling == null ? null : modelFile(rolling.file());
    }

    /** The verified bytes of the BLT graph. */
    public ModelFile bltModel() {
        return modelFile(manifest.models().blt().file());
    }

    private ModelFile modelFile(String name) {
        return new ModelFile(name, manifest.files().get(name).sha256(), modelBytes.get(name));
    }

    /** A graph's bytes, with the checksum that identifies it to {@link InferenceSessions}. */
    public record ModelFile(String name, String sha256, byte[] bytes) {}

    /** Reads one file of the model: a folder and a classpath folder look the same from here. */
    private interface Source {
        String describe(String file);

        /** The file's content, or null when it does not exist. */
        InputStream open(String file) throws IOException;
    }

    private static ModelBundle load(String location, Source source) {
        byte[] json = read(source, MANIFEST_FILE, "model manifest");
        String where = source.describe(MANIFEST_FILE);
        ModelManifest manifest = ModelManifest.parse(json, where);
        checkModelId(manifest, json, where);
        Map<String, byte[]> modelBytes = new LinkedHashMap<>();
        for (Map.Entry<String, ModelManifest.FileEntry> listed : manifest.files().entrySet()) {
            String name = listed.getKey();
            byte[] bytes = read(source, name, "model file");
            verify(name, bytes, listed.getValue(), source.describe(name));
            // Only the graphs are kept; the fixtures are verified but left to the tests.
            if (manifest.modelFiles().contains(name)) {
                modelBytes.put(name, bytes);
            }
        }
        return new ModelBundle(location, manifest, Map.copyOf(modelBytes));
    }

    /**
     * The manifest's model_id must be the one its contents give ({@link ModelId}): outputs carry the
     * id, so a manifest edited after export (another theta, other windows) must not pass for the
     * model it was copied from.
     */
    private static void checkModelId(ModelManifest manifest, byte[] json, String where) {
        String computed = ModelId.of(manifest.name(), json, where);
        if (!computed.equals(manifest.modelId())) {
            throw new ModelLoadException("manifest " + where + ": model_id is " + manifest.modelId()
                    + " but the manifest's contents give " + computed + ": the manifest was edited after export."
                    + " The id covers every field of the manifest (theta, windows, token ids, file hashes), so an"
                    + " edited model cannot keep it. Re-export with model-export/train.py (which calibrates theta"
                    + " and writes the new id), or keep the manifest as exported and pass --theta to override"
                    + " theta");
        }
    }

    private static byte[] read(Source source, String file, String what) {
        try (InputStream in = source.open(file)) {
            if (in == null) {
                throw new ModelLoadException(what + " " + file + " is missing (" + source.describe(file) + ")");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ModelLoadException(what + " " + file + " could not be read (" + source.describe(file) + "): "
                    + e.getMessage(), e);
        }
    }

    private static void verify(String name, byte[] bytes, ModelManifest.FileEntry expected, String where) {
        String actualSha = sha256(bytes);
        if (bytes.length != expected.bytes()) {
            throw new ModelLoadException("model file " + name + " is corrupt: size expected " + expected.bytes()
                    + " bytes but was " + bytes.length + ", sha256 expected " + expected.sha256() + " but was "
                    + actualSha + " (" + where + ")");
        }
        if (!actualSha.equals(expected.sha256())) {
            throw new ModelLoadException("model file " + name + " is corrupt: sha256 expected " + expected.sha256()
                    + " but was " + actualSha + " (" + where + ")");
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }
}

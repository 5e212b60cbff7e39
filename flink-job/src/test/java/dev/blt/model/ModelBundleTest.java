package dev.blt.model;

import dev.blt.testing.ModelFolders;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Loading a model folder, and the messages when one is broken. */
class ModelBundleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void loadsAndVerifiesAFolder(Path folder) {
        ModelBundle bundle = ModelBundle.fromDirectory(folder);
        ModelManifest m = bundle.manifest();
        assertFalse(m.name().isBlank());
        assertTrue(m.modelId().startsWith(m.name() + "@"), m.modelId());
        assertEquals(ModelManifest.VOCAB_SIZE, m.tokens().vocabSize());
        assertEquals(m.files().get(m.models().blt().file()).sha256(), bundle.bltModel().sha256());
        assertEquals(m.files().get(m.models().entropy().file()).sha256(),
                ModelBundle.sha256(bundle.entropyModel().bytes()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void loadsTheSameFolderFromTheClasspath(Path folder) throws IOException {
        Path root = temp.resolve("cp");
        copyFolder(folder, root.resolve("models/some-model"));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            ModelBundle fromJar = ModelBundle.fromClasspath(loader, "models/some-model");
            ModelBundle fromDir = ModelBundle.fromDirectory(folder);
            assertEquals(fromDir.manifest(), fromJar.manifest());
            assertArrayEquals(fromDir.bltModel().bytes(), fromJar.bltModel().bytes());
            assertEquals("classpath:models/some-model/", fromJar.location());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void aFlippedByteNamesTheFileAndBothChecksums(Path folder) throws IOException {
        Path copy = copyFolder(folder, temp.resolve("flipped"));
        ModelManifest manifest = ModelBundle.fromDirectory(folder).manifest();
        String file = manifest.models().blt().file();
        byte[] bytes = Files.readAllBytes(copy.resolve(file));
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(copy.resolve(file), bytes);

        String message = loadFails(copy);
        String expected = manifest.files().get(file).sha256();
        String actual = ModelBundle.sha256(bytes);
        assertAll(
                () -> assertTrue(message.contains("model file " + file + " is corrupt"), message),
                () -> assertTrue(message.contains("expected " + expected), message),
                () -> assertTrue(message.contains("but was " + actual), message),
                () -> assertTrue(message.contains(copy.resolve(file).toString()), message));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void aFileOfTheWrongSizeNamesBothSizes(Path folder) throws IOException {
        Path copy = copyFolder(folder, temp.resolve("resized"));
        String file = "fixtures.json";
        long size = Files.size(copy.resolve(file));
        Files.write(copy.resolve(file), Files.readAllBytes(copy.resolve(file)), StandardOpenOption.APPEND);

        String message = loadFails(copy);
        assertTrue(message.contains("model file " + file + " is corrupt: size expected " + size + " bytes but was "
                + 2 * size), message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void aMissingFileIsNamed(Path folder) throws IOException {
        Path copy = copyFolder(folder, temp.resolve("missing"));
        String file = ModelBundle.fromDirectory(folder).manifest().models().entropy().file();
        Files.delete(copy.resolve(file));

        String message = loadFails(copy);
        assertEquals("model file " + file + " is missing (" + copy.toAbsolutePath().resolve(file) + ")", message);
    }

    /** The fields added after format 1 may be absent: manifests written before them still load. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void anOlderManifestWithoutTheLaterFieldsLoads(Path folder) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(folder.resolve(ModelBundle.MANIFEST_FILE).toFile());
        json.remove("flops_per_byte");
        patching(json).remove("theta_monotonic");
        ((ObjectNode) json.get("streaming")).remove("record_separator");
        ((ObjectNode) json.get("models")).remove("entropy_step");
        ModelManifest m = ModelManifest.parse(JSON.writeValueAsBytes(json), "older manifest.json");
        assertEquals(null, m.flopsPerByte());
        assertEquals(null, m.patching().thetaMonotonic());
        assertEquals('\n', m.streaming().recordSeparatorByte());
        assertEquals(null, m.models().entropyStep());
        assertEquals(json.get("streaming").get("entropy_block_bytes").asInt(), m.streaming().entropyBlockBytes());
        assertEquals(json.get("hash_ngrams").get("pad_token").asInt(), m.hashNgrams().padToken());
    }

    /** Drift is judged against the validation split's figures, or the adaptation's held-back lines once adapted. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void heldOutFiguresComeFromTheAdaptationWhenThereIsOne(Path folder) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(folder.resolve(ModelBundle.MANIFEST_FILE).toFile());
        json.remove("adaptation"); // one of the test folders is adapted
        JsonNode validation = json.get("metrics").get("validation");
        ModelManifest.HeldOutFigures shipped = ModelManifest.parse(JSON.writeValueAsBytes(json), "m").heldOutFigures();
        assertEquals(validation.get("entropy_model_bits_per_byte").asDouble(), shipped.entropyModelBitsPerByte());
        assertEquals(validation.get("blt_bits_per_byte").asDouble(), shipped.bltBitsPerByte());
        ObjectNode after = json.putObject("adaptation").putObject("after");
        after.put("entropy_model_bits_per_byte", 0.75).put("blt_bits_per_byte", 0.9);
        ModelManifest.HeldOutFigures adapted = ModelManifest.parse(JSON.writeValueAsBytes(json), "m").heldOutFigures();
        assertEquals(0.75, adapted.entropyModelBitsPerByte());
        assertEquals(0.9, adapted.bltBitsPerByte());
        json.remove("adaptation");
        json.remove("metrics");
        assertEquals(null, ModelManifest.parse(JSON.writeValueAsBytes(json), "m").heldOutFigures());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void malformedManifestsNameTheProblem(Path folder) throws IOException {
        byte[] original = Files.readAllBytes(folder.resolve(ModelBundle.MANIFEST_FILE));
        String text = new String(original, StandardCharsets.UTF_8);
        List<Executable> checks = Stream.of(
                new BrokenManifest("not JSON", text.substring(0, text.length() / 2), "is not valid JSON"),
                new BrokenManifest("a list", "[1, 2]", "the top-level value is not a manifest object"),
                edit(text, "vocab_size 259", m -> tokens(m).put("vocab_size", 259),
                        "field tokens.vocab_size is 259"),
                edit(text, "missing pad", m -> tokens(m).remove("pad"),
                        "field tokens.pad is missing or invalid (Missing required creator property 'pad'"),
                edit(text, "null pad", m -> tokens(m).putNull("pad"),
                        "field tokens.pad is missing or invalid (Cannot map `null`"),
                edit(text, "zero block", m -> ((ObjectNode) m.get("streaming")).put("entropy_block_bytes", 0),
                        "field streaming.entropy_block_bytes must be in [1, 65536] (one window is one graph call),"
                                + " was 0"),
                edit(text, "huge blt window", m -> ((ObjectNode) m.get("streaming")).put("blt_context_patches", 5000),
                        "field streaming.blt_context_patches must be in [1, 4096]"),
                edit(text, "huge max patch", m -> patching(m).put("max_patch_length", 2_000_000_000),
                        "field patching.max_patch_length must be in [1, 4096] (every stream holds an open patch"
                                + " of this many bytes in memory and state"),
                edit(text, "zero max patch", m -> patching(m).put("max_patch_length", 0),
                        "field patching.max_patch_length must be in [1, 4096]"),
                edit(text, "zero theta", m -> patching(m).put("theta", 0.0),
                        "field patching.theta must be finite and > 0 (an entropy threshold in nats), was 0.0"),
                edit(text, "negative monotonic", m -> patching(m).put("theta_monotonic", -1.0),
                        "field patching.theta_monotonic must be finite and > 0"),
                edit(text, "target above max", m -> patching(m).put("target_avg_patch_size", 1000.0),
                        "field patching.target_avg_patch_size must be in [1, max_patch_length="),
                edit(text, "no target", m -> patching(m).remove("target_avg_patch_size"),
                        "field patching.target_avg_patch_size is missing or invalid"),
                edit(text, "zero-gram", m -> ((ArrayNode) m.at("/hash_ngrams/sizes")).add(0),
                        "field hash_ngrams.sizes must be a non-empty list of n in [1, 64]"),
                edit(text, "no buckets", m -> ((ObjectNode) m.get("hash_ngrams")).put("table_size", 0),
                        "field hash_ngrams.table_size must be in [1, 16777216]"),
                edit(text, "no blt window", m -> ((ObjectNode) m.get("streaming")).remove("blt_context_patches"),
                        "field streaming.blt_context_patches is missing or invalid"),
                new BrokenManifest("NaN theta", text.replaceFirst("\"theta\": [^,]+,", "\"theta\": NaN,"),
                        "field patching.theta must be finite and > 0 (an entropy threshold in nats), was NaN"),
                edit(text, "no hidden output", m -> removeOutput(m, "entropy", GraphTensor.HIDDEN.id),
                        "field models.entropy.outputs has no 'hidden'"),
                edit(text, "wrong dtype", m -> firstInput(m, "blt").put("dtype", "int32"),
                        "field models.blt.inputs.tokens.dtype is int32 but the runtime needs int64"),
                edit(text, "unlisted graph", m -> ((ObjectNode) m.at("/models/blt")).put("file", "other.onnx"),
                        "field models.blt.file is other.onnx, which is not listed under 'files'"),
                edit(text, "escaping file", m -> ((ObjectNode) m.get("files")).set("../secret",
                        m.at("/files").elements().next()), "field files.../secret must be a plain file name"),
                edit(text, "format 4", m -> m.put("format_version", 4), "field format_version is 4"),
                edit(text, "rolling graph in format 1", m -> {
                    m.put("format_version", 1);
                    ((ObjectNode) m.get("models")).set("entropy_rolling", m.at("/models/entropy"));
                }, "field models.entropy_rolling needs format_version 2"),
                edit(text, "rolling BLT in format 2", m -> {
                    m.put("format_version", 2);
                    ((ObjectNode) m.get("models")).set("blt_rolling", m.at("/models/blt"));
                }, "field models.blt_rolling needs format_version 3"))
                .map(broken -> (Executable) () -> {
                    Path copy = copyFolder(folder, temp.resolve("manifest-" + broken.name.replace(' ', '-')));
                    Files.writeString(copy.resolve(ModelBundle.MANIFEST_FILE), broken.json);
                    String message = loadFails(copy);
                    assertTrue(message.startsWith("manifest " + copy.toAbsolutePath().resolve("manifest.json")),
                            broken.name + ": " + message);
                    assertTrue(message.contains(broken.expected), broken.name + ": " + message);
                })
                .toList();
        assertAll(checks);
    }

    /** A user who edits theta in manifest.json gets a new model, which must not keep the old id. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void anEditedThetaIsRefusedNamingBothIds(Path folder) throws IOException {
        Path copy = copyFolder(folder, temp.resolve("edited"));
        Path manifest = copy.resolve(ModelBundle.MANIFEST_FILE);
        String original = Files.readString(manifest);
        String edited = original.replaceFirst("\"theta\": [0-9.]+,", "\"theta\": 1.5,");
        assertNotEquals(original, edited);
        Files.writeString(manifest, edited);

        String oldId = ModelBundle.fromDirectory(folder).manifest().modelId();
        String newId = ModelId.of(ModelBundle.fromDirectory(folder).manifest().name(),
                edited.getBytes(StandardCharsets.UTF_8), "edited");
        assertNotEquals(oldId, newId);
        String message = loadFails(copy);
        assertTrue(message.startsWith("manifest " + manifest.toAbsolutePath() + ": model_id is " + oldId
                + " but the manifest's contents give " + newId + ": the manifest was edited after export."), message);
        assertTrue(message.contains("Re-export with model-export/train.py"), message);
    }

    /** The id covers values, not layout: re-indenting or CRLF line ends (a Windows checkout) keep it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.blt.testing.ModelFolders#stream")
    void whitespaceAndLineEndsDoNotChangeTheId(Path folder) throws IOException {
        Path copy = copyFolder(folder, temp.resolve("crlf"));
        Path manifest = copy.resolve(ModelBundle.MANIFEST_FILE);
        Files.writeString(manifest, Files.readString(manifest).replace("\n", "\r\n\t"));
        assertEquals(ModelBundle.fromDirectory(folder).manifest(), ModelBundle.fromDirectory(copy).manifest());
    }

    /** The jar's default model (flink-job/pom.xml copies it) is the folder's, byte for byte. */
    @Test
    void theBundledDefaultModelIsTheExportedFolder() {
        Path folder = ModelFolders.artifactsDir().resolve("blt-default");
        assumeTrue(Files.isDirectory(folder), "no blt-default exported yet, so the jar bundles no model");
        ModelBundle bundled = ModelBundle.fromClasspath(ModelBundle.DEFAULT_RESOURCE);
        assertEquals(ModelBundle.fromDirectory(folder).manifest(), bundled.manifest());
    }

    @Test
    void aMissingManifestIsNamed() throws IOException {
        Path empty = Files.createDirectories(temp.resolve("empty"));
        assertEquals("model manifest manifest.json is missing ("
                + empty.toAbsolutePath().resolve("manifest.json") + ")", loadFails(empty));
        assertEquals("model manifest manifest.json is missing (classpath:models/no-such-model/manifest.json)",
                assertThrows(ModelLoadException.class, () -> ModelBundle.fromClasspath("models/no-such-model"))
                        .getMessage());
        Path absent = temp.resolve("absent");
        assertEquals("model folder " + absent.toAbsolutePath() + " does not exist or is not a directory",
                loadFails(absent));
    }

    private record BrokenManifest(String name, String json, String expected) {}

    /** The manifest {@code text} with one change made to its JSON tree. */
    private static BrokenManifest edit(String text, String name, Consumer<ObjectNode> change, String expected) {
        try {
            ObjectNode manifest = (ObjectNode) JSON.readTree(text);
            change.accept(manifest);
            return new BrokenManifest(name, JSON.writeValueAsString(manifest), expected);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode patching(ObjectNode manifest) {
        return (ObjectNode) manifest.get("patching");
    }

    private static ObjectNode tokens(ObjectNode manifest) {
        return (ObjectNode) manifest.get("tokens");
    }

    private static void removeOutput(ObjectNode manifest, String model, String output) {
        ArrayNode outputs = (ArrayNode) manifest.at("/models/" + model + "/outputs");
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i).get("name").asText().equals(output)) {
                outputs.remove(i);
                return;
            }
        }
    }

    private static ObjectNode firstInput(ObjectNode manifest, String model) {
        return (ObjectNode) manifest.at("/models/" + model + "/inputs/0");
    }

    private static String loadFails(Path folder) {
        return assertThrows(ModelLoadException.class, () -> ModelBundle.fromDirectory(folder)).getMessage();
    }

    private static Path copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}

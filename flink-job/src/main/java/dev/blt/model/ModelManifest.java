package dev.blt.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.blt.bltstage.BltRollingShape;
import dev.blt.patching.RollingWindow;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The parts of a model folder's {@code manifest.json} that the Java runtime reads. The manifest is
 * written by {@code model-export/blt_models/export.py} and is the single source of truth for token
 * ids, windows, theta and the graphs' inputs and outputs: nothing here hard-codes a value that the
 * manifest carries. Fields the runtime does not read (metrics, training, FLOPs) are ignored, so the
 * exporter can add to the manifest without breaking older jobs.
 *
 * <p>{@link #parse} checks every invariant the runtime relies on and names the offending field, so
 * a bad model fails when the job starts, not with an index error deep inside ONNX Runtime. Numbers
 * are range-checked, so a value that would make the runtime allocate without bound (max_patch_length,
 * the windows) is a message, not an OutOfMemoryError. {@link ModelBundle} also checks that
 * {@code model_id} is the one the manifest's contents give ({@link ModelId}).
 */
public record ModelManifest(int formatVersion, String name, String modelId, Tokens tokens, Patching patching,
        Streaming streaming, HashNgrams hashNgrams, Models models, Map<String, FileEntry> files,
        /* forward FLOPs per byte of each model, for `blt bench`'s useful FLOP/s */
        @AbsentInOlderManifests FlopsPerByte flopsPerByte,
        /* the exporter's figures on held-out data (metrics.validation), and adapt.py's (adaptation.after) */
        @AbsentInOlderManifests Metrics metrics, @AbsentInOlderManifests Adaptation adaptation) {

    /**
     * The newest manifest layout this reader understands; a newer layout must fail loudly, not
     * half-load. 2 added models.entropy_rolling (a sliding-window entropy model streams through its
     * rolling graph); 3 added models.blt_rolling (a sliding-window BLT runs its stage from rolling
     * caches); 1 and 2 are still read.
     */
    public static final int FORMAT_VERSION = 3;

    /** BLT's vocabulary: 256 byte values plus BOE, BOS, EOS and the BPE delimiter. */
    public static final int VOCAB_SIZE = 260;

    /**
     * The longest patch a manifest may ask for. Every stream's patcher allocates its open patch at
     * this length (a byte and two floats per position), and one BLT window holds
     * blt_context_patches + blt_block_patches patches of up to this length, so an unbounded value
     * turns into an OutOfMemoryError instead of a message. The shipped models use 32 and 16; at
     * 4096 a stream's open patch takes 36 KiB.
     */
    public static final int MAX_PATCH_LENGTH_LIMIT = 4096;

    /** The longest entropy window in bytes, and the longest BLT window in patches: one graph call each. */
    public static final int MAX_WINDOW_BYTES = 65536;
    public static final int MAX_WINDOW_PATCHES = 4096;

    /** Sane bounds for the hashed n-gram function: n-gram length and buckets per table. */
    public static final int MAX_NGRAM_SIZE = 64;
    public static final int MAX_NGRAM_TABLE_SIZE = 1 << 24;

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            // Java names in camelCase, the manifest's (written by Python) in snake_case.
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .annotationIntrospector(new RequiredUnlessMarked())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // A missing or null number must not read as 0 (pad = 0 and boe = 0 are real values).
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // Python's json writes NaN and Infinity as bare words; read them so that the check
            // below can say "theta must be finite" instead of reporting a JSON syntax error.
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** Token ids, as in BLT: specials first, then byte b is token b + byte_offset. */
    public record Tokens(int boe, int bos, int eos, int byteOffset, int vocabSize, int pad) {

        /**
         * Rejects ids outside the vocabulary before they reach the graph, where they would fail
         * inside an embedding lookup with a message that names no row.
         */
        public void check(long[] ids, String what) {
            for (int t = 0; t < ids.length; t++) {
                if (ids[t] < 0 || ids[t] >= vocabSize) {
                    throw new IllegalArgumentException(what + " position " + t + ": token " + ids[t]
                            + " is outside the vocabulary [0, " + vocabSize + ")");
                }
            }
        }
    }

    /**
     * The patching rule: H_t > theta, optionally H_t - H_{t-1} > thetaMonotonic (null when that rule
     * is off), forced cuts at maxPatchLength; targetAvgPatchSize is the average theta was calibrated for.
     */
    public record Patching(double theta, @AbsentInOlderManifests Double thetaMonotonic, int maxPatchLength,
                           double targetAvgPatchSize) {}

    /**
     * The aligned-block windows (docs/DESIGN.md, "Streaming invariant"), in bytes and in patches, and
     * the byte that follows each record in the models' context (record segmentation with record
     * context; newline where the manifest has none).
     */
    public record Streaming(int entropyContextBytes, int entropyBlockBytes, int bltContextPatches, int bltBlockPatches,
                            @AbsentInOlderManifests Integer recordSeparator) {

        public static final int DEFAULT_RECORD_SEPARATOR = '\n';

        public int recordSeparatorByte() {
            return recordSeparator == null ? DEFAULT_RECORD_SEPARATOR : recordSeparator;
        }
    }

    /** The hashed n-gram function of the local encoder (model-export/blt_models/hashing.py). */
    public record HashNgrams(List<Integer> sizes, int tableSize, long multiplier, long modulus, int padToken) {}

    /**
     * The graphs. entropyStep is the incremental entropy graph of the aligned-block scheme (scores a
     * window's new bytes from cached keys and values), without which every window is run whole;
     * entropyRolling, in a folder of a sliding-window entropy model, replaces both schemes' windows
     * with a rolling cache (docs/DESIGN.md, "Rolling cache"); bltRolling does the same for the BLT
     * stage of a sliding-window BLT.
     */
    public record Models(ModelSpec entropy, ModelSpec blt, @AbsentInOlderManifests ModelSpec entropyStep,
                         @AbsentInOlderManifests ModelSpec entropyRolling, @AbsentInOlderManifests ModelSpec bltRolling) {}

    /**
     * Forward FLOPs per byte (2 per multiply-add) at the mean attention context of the aligned-block
     * windows, not counting the windows' recomputed context: the work a byte needs, whatever the
     * runtime spends on top.
     */
    public record FlopsPerByte(long entropyModel, long blt) {}

    /** The figures train.py measured on its validation split. */
    public record Metrics(@AbsentInOlderManifests HeldOutFigures validation) {}

    /** Written by adapt.py: the figures on the user's held-back lines after adaptation. */
    public record Adaptation(@AbsentInOlderManifests HeldOutFigures after) {}

    /** Bits per byte of each model and bytes per patch on held-out data; absent ones read as null. */
    public record HeldOutFigures(@AbsentInOlderManifests Double entropyModelBitsPerByte,
                                 @AbsentInOlderManifests Double bltBitsPerByte,
                                 @AbsentInOlderManifests Double avgPatchSize) {}

    /**
     * What the model achieves on held-out data of the kind it was made for: after adaptation, the
     * user's held-back lines; otherwise the training validation split. A stream far above these
     * figures is one the model does not know (DriftMonitor). Null when the manifest has neither.
     */
    public HeldOutFigures heldOutFigures() {
        if (adaptation != null && adaptation.after != null) {
            return adaptation.after;
        }
        return metrics == null ? null : metrics.validation;
    }

    /** One exported graph: its file in the folder, its training config, and its signature. */
    public record ModelSpec(String file, Map<String, Object> config, List<TensorSpec> inputs, List<TensorSpec> outputs,
                            /* rolling graphs: queries per block; entropy_rolling: tokens of one stream per call */
                            @AbsentInOlderManifests Integer queryBlock, @AbsentInOlderManifests Integer maxCallTokens) {}

    /**
     * The longest patch the BLT graph pools exactly (models.blt.config.max_pooled_patch_bytes: its
     * max-pool runs a fixed number of doubling steps), or {@link Integer#MAX_VALUE} for an older graph,
     * which pools under a mask and takes any length.
     */
    public int maxPooledPatchBytes() {
        Object bound = models.blt.config.get("max_pooled_patch_bytes");
        return bound == null ? Integer.MAX_VALUE : ((Number) bound).intValue();
    }

    /** The most bytes a greedy continuation may add to a patch of max_patch_length bytes. */
    public int maxContinuationBytes() {
        int bound = maxPooledPatchBytes();
        return bound == Integer.MAX_VALUE ? Integer.MAX_VALUE : Math.max(0, bound - patching.maxPatchLength());
    }

    /** The rolling BLT's windows and cache shapes, or null for a BLT stage that runs in aligned blocks. */
    public BltRollingShape bltRollingShape() {
        ModelSpec rolling = models.bltRolling;
        if (rolling == null) {
            return null;
        }
        Map<String, Object> c = rolling.config;
        java.util.function.ToIntFunction<String> n = key -> ((Number) c.get(key)).intValue();
        int history = hashNgrams.sizes().stream().mapToInt(Integer::intValue).max().orElse(1) - 1;
        return new BltRollingShape(n.applyAsInt("byte_window"), n.applyAsInt("patch_window"),
                n.applyAsInt("encoder_layers"), n.applyAsInt("decoder_layers"), n.applyAsInt("latent_layers"),
                n.applyAsInt("n_heads_local"), n.applyAsInt("d_local") / n.applyAsInt("n_heads_local"),
                n.applyAsInt("n_heads_latent"), n.applyAsInt("d_latent") / n.applyAsInt("n_heads_latent"),
                n.applyAsInt("d_latent"), rolling.queryBlock, rolling.maxCallTokens, history);
    }

    /** The rolling cache's shape, or null for a model that streams in aligned blocks. */
    public RollingWindow rollingWindow() {
        ModelSpec rolling = models.entropyRolling;
        if (rolling == null) {
            return null;
        }
        return new RollingWindow(((Number) rolling.config.get("attention_window")).intValue(),
                ((Number) rolling.config.get("n_layers")).intValue(), rolling.queryBlock, rolling.maxCallTokens);
    }

    /**
     * The windows a stream's state depends on, in words: the entropy model's (aligned blocks or its
     * rolling window), the BLT's, and the longest patch. Two models with the same description can
     * continue each other's per-stream state; with different ones it must start afresh.
     */
    public String windowsDescription() {
        RollingWindow rolling = rollingWindow();
        String entropy = rolling == null ? "entropy " + streaming.entropyContextBytes() + "+" + streaming.entropyBlockBytes()
                + " bytes" : "entropy rolling window " + rolling.window() + " x " + rolling.layers() + " layers";
        BltRollingShape blt = models.bltRolling == null ? null : bltRollingShape();
        String bltWindows = blt == null ? "BLT " + streaming.bltContextPatches() + "+" + streaming.bltBlockPatches() + " patches"
                : "BLT rolling windows " + blt.byteWindow() + " bytes, " + blt.patchWindow() + " patches, layers "
                + blt.encoderLayers() + "/" + blt.latentLayers() + "/" + blt.decoderLayers();
        return entropy + ", " + bltWindows + ", patches up to " + patching.maxPatchLength() + " bytes";
    }

    /** A graph input or output; shape entries are axis names ("batch") or fixed sizes (260). */
    public record TensorSpec(String name, String dtype, List<Object> shape) {}

    /** What a listed file must be: its length and lower-case hex SHA-256. */
    public record FileEntry(String sha256, long bytes) {}

    /** A field that manifests written before it existed lack: absent reads as null. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.PARAMETER})
    @interface AbsentInOlderManifests {}

    /** Every field is required unless marked {@link AbsentInOlderManifests}; Jackson's default is the reverse. */
    private static final class RequiredUnlessMarked extends JacksonAnnotationIntrospector {
        @Override
        public Boolean hasRequiredMarker(AnnotatedMember member) {
            return !member.hasAnnotation(AbsentInOlderManifests.class);
        }
    }

    /**
     * Parses and validates a manifest.
     *
     * @param source where the bytes came from, for messages (a path or a classpath resource)
     * @throws ModelLoadException naming the source and the field when the JSON is malformed, a
     *     required field is missing, or a value breaks an invariant
     */
    public static ModelManifest parse(byte[] json, String source) {
        ModelManifest manifest;
        try {
            manifest = MAPPER.readValue(json, ModelManifest.class);
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof com.fasterxml.jackson.core.JsonParseException cause) {
                // malformed text met while reading a field: the file is broken, not the field
                throw new ModelLoadException("manifest " + source + " is not valid JSON: " + cause.getOriginalMessage(), e);
            }
            String path = jsonPath(e);
            String problem = path.isEmpty() ? "the top-level value is not a manifest object"
                    : "field " + path + " is missing or invalid";
            throw new ModelLoadException("manifest " + source + ": " + problem + " (" + e.getOriginalMessage() + ")",
                    e);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException("manifest " + source + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException("manifest " + source + " could not be read: " + e.getMessage(), e);
        }
        if (manifest == null) {
            throw new ModelLoadException("manifest " + source + " is empty (the JSON value is null)");
        }
        manifest.validate(source);
        return manifest;
    }

    /** The file names of the two graphs, entropy model first. */
    public List<String> modelFiles() {
        List<String> files = new ArrayList<>(List.of(models.entropy.file, models.blt.file));
        Stream.of(models.entropyStep, models.entropyRolling, models.bltRolling).filter(Objects::nonNull)
                .forEach(m -> files.add(m.file));
        return List.copyOf(files);
    }

    private void validate(String source) {
        Checks c = new Checks(source);
        c.require(formatVersion >= 1 && formatVersion <= FORMAT_VERSION, "format_version",
                "is " + formatVersion + " but this runtime reads versions 1 to " + FORMAT_VERSION);
        c.require(name != null && !name.isBlank(), "name", "must be a non-empty string");
        c.require(modelId != null && !modelId.isBlank(), "model_id", "must be a non-empty string");
        c.notNull(tokens, "tokens");
        c.notNull(patching, "patching");
        c.notNull(streaming, "streaming");
        c.notNull(hashNgrams, "hash_ngrams");
        c.notNull(models, "models");
        c.notNull(files, "files");

        c.require(tokens.vocabSize == VOCAB_SIZE, "tokens.vocab_size",
                "is " + tokens.vocabSize + " but BLT's byte vocabulary has " + VOCAB_SIZE + " tokens");
        c.require(tokens.byteOffset + 256 == tokens.vocabSize, "tokens.byte_offset",
                "is " + tokens.byteOffset + " but byte_offset + 256 must equal vocab_size " + tokens.vocabSize);
        Map<String, Integer> specials = Map.of("tokens.boe", tokens.boe, "tokens.bos", tokens.bos,
                "tokens.eos", tokens.eos, "tokens.pad", tokens.pad);
        specials.forEach((field, id) -> c.require(id >= 0 && id < tokens.byteOffset, field,
                "is " + id + " but special tokens lie in [0, byte_offset=" + tokens.byteOffset + ")"));
        c.require(tokens.boe != tokens.bos && tokens.bos != tokens.eos && tokens.boe != tokens.eos,
                "tokens", "boe, bos and eos must be distinct");

        // Entropies are >= 0 nats, so theta <= 0 would cut a patch at every byte.
        c.positiveFinite(patching.theta, "patching.theta", "an entropy threshold in nats");
        if (patching.thetaMonotonic != null) {
            c.positiveFinite(patching.thetaMonotonic, "patching.theta_monotonic",
                    "an entropy increase in nats; null turns the rule off");
        }
        c.inRange(patching.maxPatchLength, 1, MAX_PATCH_LENGTH_LIMIT, "patching.max_patch_length",
                "every stream holds an open patch of this many bytes in memory and state, and a BLT window "
                        + "holds blt_context_patches + blt_block_patches such patches");
        c.require(patching.targetAvgPatchSize >= 1 && patching.targetAvgPatchSize <= patching.maxPatchLength,
                "patching.target_avg_patch_size", "must be in [1, max_patch_length=" + patching.maxPatchLength
                        + "] (a patch holds 1 to max_patch_length bytes), was " + patching.targetAvgPatchSize);

        String window = "one window is one graph call";
        c.inRange(streaming.entropyContextBytes, 1, MAX_WINDOW_BYTES, "streaming.entropy_context_bytes", window);
        c.inRange(streaming.entropyBlockBytes, 1, MAX_WINDOW_BYTES, "streaming.entropy_block_bytes", window);
        c.inRange(streaming.bltContextPatches, 1, MAX_WINDOW_PATCHES, "streaming.blt_context_patches", window);
        c.inRange(streaming.bltBlockPatches, 1, MAX_WINDOW_PATCHES, "streaming.blt_block_patches", window);
        c.inRange(streaming.recordSeparatorByte(), 0, 255, "streaming.record_separator", "a byte value");

        c.require(hashNgrams.sizes != null && !hashNgrams.sizes.isEmpty()
                && hashNgrams.sizes.stream().allMatch(n -> n != null && n >= 1 && n <= MAX_NGRAM_SIZE),
                "hash_ngrams.sizes", "must be a non-empty list of n in [1, " + MAX_NGRAM_SIZE + "], was "
                        + hashNgrams.sizes);
        c.inRange(hashNgrams.tableSize, 1, MAX_NGRAM_TABLE_SIZE, "hash_ngrams.table_size", "buckets per n-gram table");
        c.require(hashNgrams.multiplier > 0, "hash_ngrams.multiplier", "must be > 0");
        c.require(hashNgrams.modulus > 0, "hash_ngrams.modulus", "must be > 0");
        // hashing.py promises the rolling hash fits a signed 64-bit integer; Java relies on it.
        c.require(Math.multiplyHigh(hashNgrams.modulus, hashNgrams.multiplier) == 0
                && (hashNgrams.modulus - 1) * hashNgrams.multiplier + tokens.vocabSize > 0,
                "hash_ngrams", "modulus * multiplier + vocab_size overflows a 64-bit integer");
        c.require(hashNgrams.padToken >= 0 && hashNgrams.padToken < tokens.vocabSize, "hash_ngrams.pad_token",
                "is " + hashNgrams.padToken + ", not a token id");

        files.forEach((file, entry) -> {
            String field = "files." + file;
            c.require(isPlainFileName(file), field, "must be a plain file name inside the model folder");
            c.notNull(entry, field);
            c.require(entry.sha256 != null && SHA256_HEX.matcher(entry.sha256).matches(), field + ".sha256",
                    "must be 64 lower-case hex digits, was " + entry.sha256);
            c.require(entry.bytes >= 0, field + ".bytes", "must be >= 0, was " + entry.bytes);
        });
        validateModel(c, "models.entropy", models.entropy, GraphIo.ENTROPY_GRAPH);
        validateModel(c, "models.blt", models.blt, GraphIo.BLT_GRAPH);
        if (models.entropyStep != null) {
            validateModel(c, "models.entropy_step", models.entropyStep, GraphIo.ENTROPY_STEP_GRAPH);
        }
        if (models.entropyRolling != null) {
            c.require(formatVersion >= 2, "models.entropy_rolling", "needs format_version 2, was " + formatVersion);
            validateModel(c, "models.entropy_rolling", models.entropyRolling, GraphIo.ENTROPY_ROLLING_GRAPH);
            Map<String, Object> config = models.entropyRolling.config;
            c.require(config.get("attention_window") instanceof Number && config.get("n_layers") instanceof Number,
                    "models.entropy_rolling.config", "needs attention_window and n_layers");
            c.require(models.entropyRolling.queryBlock != null, "models.entropy_rolling.query_block", "is missing");
            c.require(models.entropyRolling.maxCallTokens != null, "models.entropy_rolling.max_call_tokens", "is missing");
            try {
                rollingWindow();
            } catch (IllegalArgumentException e) {
                c.require(false, "models.entropy_rolling", e.getMessage());
            }
        }
        if (models.bltRolling != null) {
            c.require(formatVersion >= 3, "models.blt_rolling", "needs format_version 3, was " + formatVersion);
            validateModel(c, "models.blt_rolling", models.bltRolling, GraphIo.BLT_ROLLING_GRAPH);
            Map<String, Object> config = models.bltRolling.config;
            c.require(Stream.of("byte_window", "patch_window", "encoder_layers", "decoder_layers", "latent_layers",
                            "n_heads_local", "d_local", "n_heads_latent", "d_latent").allMatch(k -> config.get(k) instanceof Number),
                    "models.blt_rolling.config", "needs byte_window, patch_window, the layer counts, heads and widths");
            c.require(models.bltRolling.queryBlock != null, "models.blt_rolling.query_block", "is missing");
            c.require(models.bltRolling.maxCallTokens != null, "models.blt_rolling.max_call_tokens", "is missing");
            try {
                bltRollingShape();
            } catch (IllegalArgumentException e) {
                c.require(false, "models.blt_rolling", e.getMessage());
            }
        }
    }

    private void validateModel(Checks c, String field, ModelSpec spec, GraphIo graph) {
        c.notNull(spec, field);
        c.require(spec.file != null && files.containsKey(spec.file), field + ".file",
                "is " + spec.file + ", which is not listed under 'files' (every model file must be checksummed)");
        c.notNull(spec.config, field + ".config");
        validateTensors(c, field + ".inputs", spec.inputs, graph.inputs());
        validateTensors(c, field + ".outputs", spec.outputs, graph.outputs());
    }

    private static void validateTensors(Checks c, String field, List<TensorSpec> declared,
            List<GraphTensor> required) {
        c.notNull(declared, field);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < declared.size(); i++) {
            TensorSpec t = declared.get(i);
            c.require(t != null && t.name != null && t.dtype != null && t.shape != null, field + "[" + i + "]",
                    "needs name, dtype and shape");
            c.require(seen.add(t.name), field + "[" + i + "].name", "duplicates " + t.name);
        }
        Map<String, TensorSpec> byName = declared.stream().collect(Collectors.toMap(TensorSpec::name, t -> t));
        for (GraphTensor want : required) {
            TensorSpec got = byName.get(want.id);
            c.require(got != null, field, "has no '" + want.id + "' (declared: " + byName.keySet() + ")");
            c.require(want.dtype.equals(got.dtype), field + "." + want.id + ".dtype",
                    "is " + got.dtype + " but the runtime needs " + want.dtype);
            c.require(got.shape.size() == want.rank, field + "." + want.id + ".shape",
                    "is " + got.shape + " but the runtime needs rank " + want.rank);
        }
    }

    /** True for a bare name: manifests must not point outside their own folder. */
    static boolean isPlainFileName(String file) {
        return file != null && !file.isEmpty() && !file.equals(".") && !file.equals("..")
                && !file.contains("/") && !file.contains("\\");
    }

    /** The JSON path of a mapping error, as "models.blt.inputs[1]"; empty at the top level. */
    private static String jsonPath(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /** Fails on the first broken invariant, with the manifest's source and the field's path. */
    private record Checks(String source) {

        void require(boolean ok, String field, String problem) {
            if (!ok) {
                throw new ModelLoadException("manifest " + source + ": field " + field + " " + problem);
            }
        }

        void notNull(Object value, String field) {
            require(value != null, field, "is missing or null");
        }

        void inRange(long value, long min, long max, String field, String why) {
            require(value >= min && value <= max, field,
                    "must be in [" + min + ", " + max + "] (" + why + "), was " + value);
        }

        void positiveFinite(double value, String field, String what) {
            require(Double.isFinite(value) && value > 0, field,
                    "must be finite and > 0 (" + what + "), was " + value);
        }
    }
}

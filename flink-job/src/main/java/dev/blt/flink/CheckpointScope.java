package dev.blt.flink;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.model.ModelManifest;
import dev.blt.patching.RollingWindow;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * What a job's checkpoints and savepoints are valid for: the Kafka cluster and topics their offsets
 * and transactions belong to, and the settings their keyed state was computed under (input format,
 * stage, segmentation, record context, the model's windows). `blt run` writes it beside them, as
 * {@value #FILE} in the checkpoint directory, and refuses to resume state written under another
 * scope: that state would carry on counters and contexts that mean something else, which is wrong
 * output without an error. The model's id and windows are kept too, but another model may replace
 * the one that wrote the state (a rollout, docs/DESIGN.md "Model rollout"), each stream switching to
 * it where it stands, so that difference is a warning: with the same windows the new model goes on
 * with the stream's earlier bytes as context, with other windows it starts each stream afresh there.
 *
 * @param settings what must match, by the flag (or name) a user knows it by, in a stable order
 * @param modelId  the model that wrote the state
 */
public record CheckpointScope(Map<String, String> settings, String modelId) {

    public static final String FILE = "blt-checkpoint-scope.json";
    static final String MODEL_ID = "model id";
    static final String MODEL_WINDOWS = "model windows";
    private static final ObjectMapper JSON = new ObjectMapper();

    public CheckpointScope {
        settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        Objects.requireNonNull(modelId, "modelId");
    }

    /** The scope of a job with these options, on the Kafka cluster with this id, running this model. */
    public static CheckpointScope of(JobOptions o, String kafkaClusterId, ModelManifest model) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("Kafka cluster id", kafkaClusterId);
        s.put("--input-topic", o.stage() == JobOptions.Stage.BLT ? o.patchesTopic() : o.inputTopic());
        s.put("--patches-topic", o.patchesTopic());
        s.put("--input-format", lower(o.inputFormat()));
        s.put("--stage", lower(o.stage()));
        s.put("--segmentation", lower(o.segmentation()));
        s.put("--record-context", lower(o.recordContext()));
        ModelManifest.Streaming w = model.streaming();
        RollingWindow rolling = model.rollingWindow();
        String entropy = rolling == null ? "entropy " + w.entropyContextBytes() + "+" + w.entropyBlockBytes() + " bytes"
                : "entropy rolling window " + rolling.window() + " x " + rolling.layers() + " layers";
        s.put(MODEL_WINDOWS, entropy + ", BLT " + w.bltContextPatches() + "+" + w.bltBlockPatches() + " patches");
        return new CheckpointScope(s, model.modelId());
    }

    /**
     * The one-line reason this state cannot be resumed under now, or empty when it can.
     *
     * @param where the checkpoint or savepoint, for the message
     */
    public Optional<String> refusal(CheckpointScope now, String where) {
        List<String> differences = new ArrayList<>();
        now.settings.forEach((name, value) -> {
            String then = settings.get(name);
            if (then != null && !then.equals(value) && !MODEL_WINDOWS.equals(name)) {
                differences.add(name + " " + then + " (now " + value + ")");
            }
        });
        if (differences.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("the state in " + where + " was written by a job with " + String.join(", ", differences)
                + ": resuming it would continue its streams under other settings. Run with the settings it was written for, "
                + "or start fresh with --resume none or another --checkpoint-dir");
    }

    /** The model change this resume makes, if any. */
    public Optional<String> modelChange(CheckpointScope now) {
        if (modelId.equals(now.modelId)) {
            return Optional.empty();
        }
        String then = settings.get(MODEL_WINDOWS);
        boolean sameWindows = then == null || then.equals(now.settings.get(MODEL_WINDOWS));
        return Optional.of("model changed from " + modelId + " to " + now.modelId + (sameWindows
                ? " (same windows): each stream's open patch closes where the stream stands, and the new model cuts from "
                + "there, with the stream's earlier bytes as context"
                : " (other windows: " + then + ", now " + now.settings.get(MODEL_WINDOWS) + "): each stream's open patch "
                + "closes where the stream stands, and the new model starts the stream afresh there, without its earlier "
                + "bytes as context") + " (the switch offsets are logged per stream)");
    }

    /** The scope recorded in a checkpoint directory, if any (directories written before this file have none). */
    public static Optional<CheckpointScope> read(String checkpointDirectory) {
        Path file = new Path(checkpointDirectory, FILE);
        try {
            FileSystem fs = file.getFileSystem();
            if (!fs.exists(file)) {
                return Optional.empty();
            }
            Map<String, String> all;
            try (InputStream in = fs.open(file)) {
                all = JSON.readValue(in, new TypeReference<LinkedHashMap<String, String>>() { });
            }
            String model = all.remove(MODEL_ID);
            return Optional.of(new CheckpointScope(all, model == null ? "unknown" : model));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Records this scope in the checkpoint directory (replacing what was there). */
    public void write(String checkpointDirectory) {
        Path file = new Path(checkpointDirectory, FILE);
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put(MODEL_ID, modelId);
        try {
            FileSystem fs = file.getFileSystem();
            fs.mkdirs(file.getParent());
            try (OutputStream out = fs.create(file, FileSystem.WriteMode.OVERWRITE)) {
                out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + " (the record of what the checkpoints there are for): "
                    + e.getMessage(), e);
        }
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(java.util.Locale.ROOT);
    }
}

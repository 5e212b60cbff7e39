package dev.blt.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.Patch;
import dev.blt.avro.PatchCloseReason;
import dev.blt.kafka.TopicReader;
import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.Segmentation;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.ModelSwitchDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A model rollout as a user does it (README, "Rolling out a model"): `blt run` with the old model,
 * stopped with a savepoint (SIGTERM), started again with `--model NEW`, killed with kill -9 after the
 * switch, and started once more. Every stream's committed patches must then be the offline result
 * of the old model up to the switch offset (where the stream stood at the savepoint; its open
 * patch closes there, MODEL_SWITCH) and of the new model after it, with the stream's earlier bytes
 * as context: none lost, none twice, each carrying the model id that cut it.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class ModelRolloutIT {

    private static Path work;
    private static KafkaBrokerProcess kafka;

    @BeforeAll
    static void startBroker() {
        work = FaultWorkDirs.create(ModelRolloutIT.class.getSimpleName());
        kafka = KafkaBrokerProcess.start(work.resolve("kafka"));
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void aSwitchAtASavepointSurvivesKillNineExactlyOnce() throws Exception {
        String prefix = "roll";
        for (String t : new String[] {".in", ".patches", ".dlq"}) {
            kafka.createTopic(prefix + t, 2);
        }
        Path oldFolder = ModelFolders.shipped();
        Path newFolder = ModelFolders.shippedInt8(); // another model with the same windows
        LoadedModel oldModel = new ModelSource(oldFolder.toString(), "cpu", 2, null).open();
        LoadedModel newModel = new ModelSource(newFolder.toString(), "cpu", 2, null).open();
        assertNotEquals(oldModel.modelId(), newModel.modelId());
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers", kafka.bootstrapServers(),
                "--input-topic", prefix + ".in", "--patches-topic", prefix + ".patches", "--dlq-topic", prefix + ".dlq",
                "--group-id", prefix, "--transactional-id-prefix", prefix, "--stage", "patch",
                "--checkpoint-interval-ms", "500", "--checkpoint-dir", work.resolve("ck").toUri().toString()));

        // 1. The old model, until every patch of the first round is committed; SIGTERM: a savepoint.
        FaultWorkload before = FaultWorkload.generate(Segmentation.STREAM, 3, 6 * 1024, 21);
        before.produce(kafka.bootstrapServers(), prefix + ".in");
        JavaProcess run1 = BltRun.local("rollout-1-old", work, withModel(args, oldFolder));
        ExactlyOnceCheck oldCheck = new ExactlyOnceCheck(before, oldModel, kafka.bootstrapServers(), prefix);
        // ... and its checkpoints have taken all of the first round's input (the switch offset is its end).
        Poll.until("the old model commits every patch of the first round", Duration.ofMinutes(3), () -> {
            run1.requireAlive();
            return oldCheck.read().complete() && inputTaken(prefix);
        });
        ProcessHandle.of(run1.pid()).orElseThrow().destroy();
        assertEquals(0, run1.awaitExit(Duration.ofMinutes(2)), run1.describeLogs());

        // 2. The new model from that savepoint; kill -9 once some of its patches are committed.
        FaultWorkload after = FaultWorkload.generate(Segmentation.STREAM, 3, 6 * 1024, 22);
        after.produce(kafka.bootstrapServers(), prefix + ".in");
        Map<String, String> expected = new HashMap<>();
        Map<String, String> expectedModel = new HashMap<>();
        Map<String, String> mayBeOpen = new HashMap<>();
        Map<String, String> lastOld = new HashMap<>(); // stream -> identity of the old model's last patch
        before.streams().forEach((id, old) -> lastOld.put(id, expectSwitched(id, old, after.streams().get(id), oldModel,
                newModel, expected, expectedModel, mayBeOpen)));
        JavaProcess run2 = BltRun.local("rollout-2-new", work, withModel(args, newFolder));
        Poll.until("the new model commits patches of its own", Duration.ofMinutes(3), () -> {
            run2.requireAlive();
            return committed(prefix).values().stream().anyMatch(p -> p.getModelId().toString().equals(newModel.modelId()));
        });
        run2.kill(); // kill -9
        String log2 = Files.readString(run2.logFile());
        assertTrue(log2.contains("model changed from " + oldModel.modelId() + " to " + newModel.modelId()
                + " (same windows)"), run2.describeLogs());
        assertTrue(log2.contains("switched from " + oldModel.modelId() + " to " + newModel.modelId() + " at byte offset "),
                run2.describeLogs());

        // 3. Resumed from the retained checkpoint: the definition, exactly once.
        JavaProcess run3 = BltRun.local("rollout-3-resumed", work, withModel(args, newFolder));
        try {
            try {
                Poll.until("every patch of the definition is committed", Duration.ofMinutes(3), () -> {
                    run3.requireAlive();
                    Map<String, Patch> got = committed(prefix);
                    return expected.keySet().stream().allMatch(k -> got.containsKey(k) || mayBeOpen.containsKey(k));
                });
            } catch (IllegalStateException timedOut) {
                // the counts below say what is missing or wrong
            }
        } finally {
            run3.kill();
        }
        Map<String, List<Patch>> all = new HashMap<>();
        for (Patch p : readPatches(prefix)) {
            all.computeIfAbsent(p.getStreamId() + "#" + p.getPatchIndex(), k -> new ArrayList<>()).add(p);
        }
        long lost = 0;
        long duplicated = 0;
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            List<Patch> got = all.get(e.getKey());
            if (got == null) {
                if (!mayBeOpen.containsKey(e.getKey())) {
                    lost++;
                    if (lost <= 5) {
                        wrong.add("lost " + e.getKey() + " want " + e.getValue() + " by " + expectedModel.get(e.getKey()));
                    }
                }
                continue;
            }
            duplicated += got.size() - 1;
            for (Patch p : got) {
                String content = ExactlyOnceCheck.content(p.getStartOffset(), ExactlyOnceCheck.bytes(p.getBytes()));
                // The old model's last patch, when still open at the savepoint, is closed by the switch and
                // emitted by the new job: like every record after the switch, it carries the new model's id.
                String model = p.getCloseReason() == PatchCloseReason.MODEL_SWITCH && e.getKey().equals(lastOld.get(
                        e.getKey().substring(0, e.getKey().indexOf('#')))) ? newModel.modelId() : expectedModel.get(e.getKey());
                if (!content.equals(e.getValue()) || !p.getModelId().toString().equals(model)) {
                    wrong.add(e.getKey() + " " + p.getModelId() + " " + p.getCloseReason() + " got " + content
                            + " want " + e.getValue() + " by " + model);
                }
            }
        }
        all.keySet().stream().filter(k -> !expected.containsKey(k)).forEach(k -> wrong.add(k + " (not expected)"));
        assertEquals(List.of(), wrong.subList(0, Math.min(8, wrong.size())), wrong.size() + " wrong");
        assertEquals(0, lost, "lost");
        assertEquals(0, duplicated, "duplicated");
        assertEquals(List.of(), wrong);
        long switches = all.values().stream().flatMap(List::stream)
                .filter(p -> p.getCloseReason() == PatchCloseReason.MODEL_SWITCH).count();
        assertTrue(switches <= before.streams().size(), "MODEL_SWITCH closures: " + switches);
        List<ConsumerRecord<byte[], byte[]>> deadLetters = TopicReader.readCommitted(kafka.bootstrapServers(), prefix + ".dlq",
                Duration.ofSeconds(60));
        assertEquals(0, deadLetters.size(), () -> "dead letters: " + new String(deadLetters.get(0).value(),
                java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The definition (ModelSwitchDefinition); returns the identity of the old model's last patch. */
    private static String expectSwitched(String id, byte[] old, byte[] added, LoadedModel oldModel, LoadedModel newModel,
                                         Map<String, String> expected, Map<String, String> expectedModel,
                                         Map<String, String> mayBeOpen) {
        List<ClosedPatch> patches = ModelSwitchDefinition.patches(old, added, oldModel, newModel);
        String lastOld = null;
        for (ClosedPatch p : patches) {
            String key = id + "#" + p.patchIndex();
            expected.put(key, ExactlyOnceCheck.content(p.startOffset(), p.bytes()));
            boolean fromOld = p.startOffset() < old.length;
            expectedModel.put(key, fromOld ? oldModel.modelId() : newModel.modelId());
            lastOld = fromOld ? key : lastOld;
        }
        mayBeOpen.put(id + "#" + patches.get(patches.size() - 1).patchIndex(), "the stream's last patch");
        return lastOld;
    }

    /** True when the job's consumer group has committed offsets at the end of every input partition. */
    private static boolean inputTaken(String prefix) throws Exception {
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", kafka.bootstrapServers());
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(prefix).partitionsToOffsetAndMetadata().get();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 2; p++) {
                latest.put(new org.apache.kafka.common.TopicPartition(prefix + ".in", p),
                        org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            var ends = admin.listOffsets(latest).all().get();
            return ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null
                    && committed.get(e.getKey()).offset() >= e.getValue().offset());
        }
    }

    private static List<String> withModel(List<String> args, Path folder) {
        List<String> out = new ArrayList<>(args);
        out.addAll(List.of("--model", folder.toString()));
        return out;
    }

    private static Map<String, Patch> committed(String prefix) {
        Map<String, Patch> out = new HashMap<>();
        for (Patch p : readPatches(prefix)) {
            out.put(p.getStreamId() + "#" + p.getPatchIndex(), p);
        }
        return out;
    }

    private static List<Patch> readPatches(String prefix) {
        List<Patch> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(kafka.bootstrapServers(), prefix + ".patches",
                Duration.ofSeconds(120))) {
            try {
                out.add(Patch.getDecoder().decode(r.value()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return out;
    }
}

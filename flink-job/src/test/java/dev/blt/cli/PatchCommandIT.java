package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.ModelFolders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `blt patch` end to end, through the command line parser. */
class PatchCommandIT {

    /** Loghub files: the head of each is enough to cross many entropy blocks. */
    static final Path LOGHUB = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
            .resolve("../../shared/data/eval/loghub").normalize();
    static final int HEAD_BYTES = 1500; // many blocks of the test model (C = B = 16), and its context

    @Test
    void streamOutputIsIdenticalForOneByteAndLargeChunks(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isDirectory(LOGHUB), "skipped: " + LOGHUB + " is absent (../shared/data is not beside this clone)");
        List<Path> logs;
        try (Stream<Path> files = Files.walk(LOGHUB)) {
            logs = files.filter(p -> p.toString().endsWith("_2k.log")).sorted().toList();
        }
        assertTrue(logs.size() >= 10, "expected the Loghub systems under " + LOGHUB);
        for (Path log : logs) {
            Path head = tmp.resolve(log.getFileName());
            byte[] data = Files.readAllBytes(log);
            Files.write(head, java.util.Arrays.copyOf(data, Math.min(HEAD_BYTES, data.length)));
            String oneByte = run("patch", "--model", ModelFolders.tiny().toString(), "--segmentation", "stream",
                    "--format", "jsonl", "--chunk-size", "1", head.toString());
            String large = run("patch", "--model", ModelFolders.tiny().toString(), "--segmentation", "stream",
                    "--format", "jsonl", "--chunk-size", "65536", head.toString());
            assertEquals(large, oneByte, log + ": output depends on the chunk size");
            assertTrue(large.lines().count() > 10, log + ": too few patches");
        }
    }

    @Test
    void jsonlPatchesCoverTheInputExactly(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("in.log");
        String text = "Mar 01 12:00:08 web-01 sshd[4242]: Failed password for admin\nsecond line\n";
        Files.writeString(file, text);
        String out = run("patch", "--model", ModelFolders.shipped().toString(), "--format", "jsonl", file.toString());
        ObjectMapper json = new ObjectMapper();
        StringBuilder joined = new StringBuilder();
        long expectedStart = 0;
        for (String line : out.lines().toList()) {
            JsonNode patch = json.readTree(line);
            assertEquals(expectedStart, patch.get("start").asLong());
            expectedStart += patch.get("length").asLong();
            joined.append(patch.get("text").asText());
        }
        assertEquals(text, joined.toString());
    }

    @Test
    void jsonlKeepsBytesThatAreNotUtf8(@TempDir Path tmp) throws Exception {
        // Latin-1 bytes, a lone continuation byte, a truncated 3-byte character, then valid UTF-8.
        byte[] input = java.util.HexFormat.of().parseHex(
                "63616665e920" + "80" + "20e282" + "0a" + "70617373e96520c3a9" + "0a");
        Path file = tmp.resolve("in.bin");
        Files.write(file, input);
        String out = run("patch", "--model", ModelFolders.tiny().toString(), "--format", "jsonl", file.toString());
        ObjectMapper json = new ObjectMapper();
        java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
        int withoutText = 0;
        for (String line : out.lines().toList()) {
            JsonNode patch = json.readTree(line);
            byte[] bytes = java.util.Base64.getDecoder().decode(patch.get("bytes_base64").asText());
            assertEquals(patch.get("length").asInt(), bytes.length, line);
            joined.writeBytes(bytes);
            if (patch.has("text")) {
                assertArrayEquals(bytes, patch.get("text").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8), line);
            } else {
                withoutText++;
            }
        }
        assertArrayEquals(input, joined.toByteArray());
        assertTrue(withoutText >= 1, "a patch holding invalid UTF-8 has no text field: " + out);
    }

    @Test
    void recordOutputIsThatOfPatchingEveryLineWhole(@TempDir Path tmp) throws Exception {
        // CRLF and LF ends, an empty line, no final newline; one line longer than a 64 KiB slice.
        StringBuilder text = new StringBuilder("first line\r\n\nMar 01 12:00:08 web-01 sshd[4242]: Failed password\n");
        StringBuilder longLine = new StringBuilder();
        for (int i = 0; longLine.length() < 70_000; i++) {
            longLine.append("GET /item/").append(i * 7919 % 10007).append(" HTTP/1.1 200 ").append(i % 97).append("; ");
        }
        text.append(longLine).append("\r\nlast line, no newline");
        Path file = tmp.resolve("in.log");
        Files.writeString(file, text);

        LoadedModel loaded = ModelFolders.load(ModelFolders.tiny());
        List<byte[]> lines = InputFiles.lines(Files.readAllBytes(file));
        List<List<ClosedPatch>> patched = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer())
                .patchRecordsInContext(lines); // the default record context
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        PatchPrinter printer = new PatchPrinter(new PrintStream(expected, true, StandardCharsets.UTF_8),
                PatchPrinter.Format.JSONL, false, loaded.patcherSettings().rule().theta());
        for (int r = 0; r < patched.size(); r++) {
            for (ClosedPatch p : patched.get(r)) {
                printer.print(r, p);
            }
        }
        String out = run("patch", "--model", ModelFolders.tiny().toString(), "--segmentation", "record",
                "--format", "jsonl", file.toString());
        assertEquals(expected.toString(StandardCharsets.UTF_8), out);
        assertEquals(5, lines.size());
    }

    @Test
    void badOptionsFailWithAClearMessage() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = BltMain.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute("patch", "--segmentation", "sideways", "x");
        assertEquals(2, code);
        assertTrue(err.toString().contains("segmentation must be 'stream' or 'record'"), err.toString());
    }

    @Test
    void aDirectoryGivenAsInputIsNamed(@TempDir Path tmp) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = BltMain.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        assertEquals(2, cl.execute("patch", "--model", ModelFolders.tiny().toString(), tmp.toString()));
        assertTrue(err.toString().contains(tmp + " is a directory"), err.toString());
    }

    @Test
    void aThetaThatCutsEveryByteIsRefused(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("in.log");
        Files.writeString(file, "a line\n");
        for (String theta : new String[] {"-1", "0", "NaN"}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            var cl = BltMain.commandLine();
            cl.setErr(new java.io.PrintWriter(err, true));
            assertEquals(2, cl.execute("patch", "--model", ModelFolders.tiny().toString(), "--theta", theta, file.toString()));
            assertTrue(err.toString().contains("--theta must be a positive number of nats"), err.toString());
        }
    }

    static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = BltMain.commandLine().execute(args);
            assertEquals(0, code, "blt " + String.join(" ", args));
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}

package dev.blt.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One Loghub system: its raw log lines and each line's ground-truth template id (EventId) from
 * {@code *_structured.csv}, matched by LineId, and where the CSV has Loghub's {@code Label} column
 * (BGL, Thunderbird: "-" for a normal line) whether each line is an alert; empty otherwise.
 */
public record LoghubSystem(String name, List<byte[]> lines, List<String> eventIds, List<Boolean> alerts) {

    public static List<LoghubSystem> loadAll(Path root) throws IOException {
        List<LoghubSystem> systems = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                systems.add(load(dir));
            }
        }
        return systems;
    }

    public static LoghubSystem load(Path dir) throws IOException {
        String name = dir.getFileName().toString();
        Path log = dir.resolve(name + "_2k.log");
        Path csv = dir.resolve(name + "_2k.log_structured.csv");
        List<byte[]> lines = splitLines(Files.readAllBytes(log));
        List<String> rows = Files.readAllLines(csv, StandardCharsets.UTF_8);
        List<String> header = Csv.parse(rows.get(0));
        int lineId = header.indexOf("LineId");
        int eventId = header.indexOf("EventId");
        int label = header.indexOf("Label");
        if (lineId < 0 || eventId < 0) {
            throw new IOException(csv + " lacks LineId or EventId columns");
        }
        List<byte[]> matched = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<Boolean> alerts = new ArrayList<>();
        for (String row : rows.subList(1, rows.size())) {
            if (row.isBlank()) {
                continue;
            }
            List<String> fields = Csv.parse(row);
            int index = Integer.parseInt(fields.get(lineId).trim()) - 1;
            if (index >= 0 && index < lines.size()) {
                matched.add(lines.get(index));
                ids.add(fields.get(eventId));
                if (label >= 0) {
                    alerts.add(!fields.get(label).trim().equals("-"));
                }
            }
        }
        return new LoghubSystem(name, matched, ids, alerts);
    }

    public boolean labelled() {
        return !alerts.isEmpty();
    }

    /** The first {@code n} lines (all when there are fewer). */
    public LoghubSystem head(int n) {
        return slice(0, n);
    }

    /** At most {@code n} lines from line {@code from} (0-based); empty past the end. */
    public LoghubSystem slice(int from, int n) {
        int a = Math.min(from, lines.size());
        int b = (int) Math.min((long) a + n, lines.size());
        return new LoghubSystem(name, lines.subList(a, b), eventIds.subList(a, b),
                labelled() ? alerts.subList(a, b) : alerts);
    }

    /** Lines without LF or CRLF (most Loghub files are CRLF). */
    static List<byte[]> splitLines(byte[] data) {
        List<byte[]> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == '\n') {
                int end = i > start && data[i - 1] == '\r' ? i - 1 : i;
                lines.add(java.util.Arrays.copyOfRange(data, start, end));
                start = i + 1;
            }
        }
        if (start < data.length) {
            lines.add(java.util.Arrays.copyOfRange(data, start, data.length));
        }
        return lines;
    }
}

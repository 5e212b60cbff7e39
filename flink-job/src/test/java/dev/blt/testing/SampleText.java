package dev.blt.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small, varied inputs for invariance tests: logs, prose, multilingual UTF-8 and random bytes. */
public final class SampleText {

    private SampleText() {
    }

    public static List<byte[]> lines() {
        List<byte[]> lines = new ArrayList<>();
        for (String s : new String[] {
                "2024-03-01 12:00:07,405 INFO  [main] org.apache.flink.runtime.taskmanager.Task - Checkpoint 42 completed in 118ms",
                "Mar 01 12:00:08 web-01 sshd[4242]: Failed password for invalid user admin from 203.0.113.9 port 52211 ssh2",
                "{\"ts\":\"2024-03-01T12:00:09.120Z\",\"level\":\"error\",\"msg\":\"connection refused\",\"latency_ms\":12.5}",
                "66.249.73.135 - - [17/May/2015:10:05:03 +0000] \"GET /blog/tags/puppet?flav=rss20 HTTP/1.1\" 200 14872",
                "Всі люди народжуються вільними і рівними у своїй гідності та правах. 人人生而自由。",
                "",
                "x",
        }) {
            lines.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return lines;
    }

    /** Streams long enough to cross several entropy blocks. */
    /** The sample lines, newline-terminated and repeated, up to at least {@code bytes} bytes: one stream. */
    public static byte[] stream(int bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; out.size() < bytes; i++) {
            out.writeBytes(lines().get(i % lines().size()));
            out.write('\n');
        }
        return out.toByteArray();
    }

    public static List<byte[]> streams() {
        StringBuilder logs = new StringBuilder();
        for (byte[] line : lines()) {
            logs.append(new String(line, StandardCharsets.UTF_8)).append('\n');
        }
        byte[] random = new byte[300];
        new Random(3).nextBytes(random);
        String prose = "It was the best of times, it was the worst of times, it was the age of wisdom, it was the "
                + "age of foolishness, it was the epoch of belief, it was the epoch of incredulity. ";
        return List.of((logs.toString() + logs).getBytes(StandardCharsets.UTF_8),
                (prose + prose).getBytes(StandardCharsets.UTF_8), random);
    }

    /** Cuts data into consecutive chunks of 1..maxChunk bytes. */
    public static List<byte[]> chunk(byte[] data, int maxChunk, Random random) {
        List<byte[]> chunks = new ArrayList<>();
        int i = 0;
        while (i < data.length) {
            int n = Math.min(data.length - i, 1 + random.nextInt(maxChunk));
            byte[] c = new byte[n];
            System.arraycopy(data, i, c, 0, n);
            chunks.add(c);
            i += n;
        }
        return chunks;
    }
}

package dev.blt.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of dev.blt depend one way: the core on nothing of ours (the BLT stage on patching only), the model
 * runtime on the core, the Flink operators on Kafka I/O and the runtime, the CLI on everything. A
 * package that uses a package which uses it back (directly or round a longer loop) fails this test,
 * which names the loop. References count whether imported or written out in full.
 */
class PackageDependenciesTest {

    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.blt\\.([a-z]+)\\.");
    private static final Path SOURCES = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
            .resolve("src/main/java/dev/blt");

    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = SOURCES.relativize(file).getName(0).toString();
                Set<String> uses = graph.computeIfAbsent(pkg, p -> new TreeSet<>());
                String code = Files.readString(file).replaceFirst("(?m)^package [^;]+;", "");
                Matcher m = REFERENCE.matcher(code);
                while (m.find()) {
                    if (!m.group(1).equals(pkg) && !m.group(1).equals("avro")) { // avro: generated records
                        uses.add(m.group(1));
                    }
                }
            }
        }
        return graph;
    }

    @Test
    void noPackageDependsOnAPackageThatDependsOnIt() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        assertTrue(graph.keySet().containsAll(Set.of("patching", "bltstage", "model", "flink", "kafka", "cli")),
                "the packages were not found under " + SOURCES + ": " + graph.keySet());
        for (String start : graph.keySet()) {
            List<String> loop = loopFrom(start, start, graph, new ArrayList<>(List.of(start)), new TreeSet<>());
            assertEquals(List.of(), loop, "a dependency loop: " + String.join(" -> ", loop));
        }
    }

    @Test
    void theCoreDependsOnNothingOfOurs() throws IOException {
        Map<String, Set<String>> graph = dependencies();
        assertEquals(Set.of(), graph.get("patching"), "patching");
        assertEquals(Set.of("patching"), graph.get("bltstage"), "the BLT stage reads patches and their aligned blocks");
        assertTrue(!graph.get("kafka").contains("flink"), "Kafka I/O must not know the operators: " + graph.get("kafka"));
    }

    /** A path from node back to start, or an empty list. */
    private static List<String> loopFrom(String start, String node, Map<String, Set<String>> graph, List<String> path,
                                         Set<String> seen) {
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (next.equals(start)) {
                List<String> loop = new ArrayList<>(path);
                loop.add(start);
                return loop;
            }
            if (seen.add(next)) {
                path.add(next);
                List<String> found = loopFrom(start, next, graph, path, seen);
                if (!found.isEmpty()) {
                    return found;
                }
                path.remove(path.size() - 1);
            }
        }
        return List.of();
    }
}

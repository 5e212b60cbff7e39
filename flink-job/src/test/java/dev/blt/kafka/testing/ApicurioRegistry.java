package dev.blt.kafka.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real Schema Registry for tests: Apicurio Registry 2.6 (in-memory storage) in a JVM of its own,
 * from the packaged application Maven unpacks into target/apicurio (flink-job/pom.xml). Its
 * Confluent-compatible API is at {@link #url()}.
 */
public final class ApicurioRegistry implements AutoCloseable {

    private static final Duration STARTUP = Duration.ofSeconds(180);

    private final Process process;
    private final int port;

    private ApicurioRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The runner jar, or null when the build did not unpack it (then tests that need it cannot run). */
    public static Path runnerJar() {
        String jar = System.getProperty("blt.apicurio.jar");
        return jar != null && Files.isRegularFile(Path.of(jar)) ? Path.of(jar) : null;
    }

    /** Starts the registry and waits until it reports ready. */
    public static ApicurioRegistry start() throws IOException, InterruptedException {
        Path jar = runnerJar();
        if (jar == null) {
            throw new IllegalStateException("no Apicurio Registry runner jar at " + System.getProperty("blt.apicurio.jar")
                    + ": run the tests through Maven (process-test-resources unpacks it)");
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = jar.getParent().resolve("registry-" + port + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Xmx256m", "-Dquarkus.http.port=" + port,
                "-Dquarkus.http.host=127.0.0.1", "-jar", jar.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ApicurioRegistry registry = new ApicurioRegistry(process, port);
        long deadline = System.nanoTime() + STARTUP.toNanos();
        HttpClient http = HttpClient.newHttpClient();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return registry;
                }
            } catch (IOException notYet) {
                // still starting: the port is not open yet
            }
            Thread.sleep(250); // poll interval while the registry starts
        }
        registry.close();
        throw new IllegalStateException("Apicurio Registry not ready after " + STARTUP.toSeconds() + " s; see " + log);
    }

    /** Base URL of the Confluent-compatible API. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}

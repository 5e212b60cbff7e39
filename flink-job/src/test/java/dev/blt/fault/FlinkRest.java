package dev.blt.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The few reads of Flink's REST API the harness and the fault tests need
 * (https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/ops/rest_api/).
 */
public final class FlinkRest {

    /** A TaskManager as the JobManager has it registered. */
    public record RegisteredTaskManager(String id, String rpcPath) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();

    /** A client for the REST endpoint at {@code baseUrl} ({@code http://host:port}). */
    public FlinkRest(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /**
     * The TaskManagers the JobManager's ResourceManager has registered ({@code GET /taskmanagers}):
     * the id is {@code taskmanager.resource-id}; the RPC path contains the TaskManager's RPC port, which
     * tells two incarnations with the same id apart.
     */
    public List<RegisteredTaskManager> taskManagers() throws IOException, InterruptedException {
        List<RegisteredTaskManager> result = new ArrayList<>();
        for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) {
            result.add(new RegisteredTaskManager(tm.path("id").asText(), tm.path("path").asText()));
        }
        return result;
    }

    /** The job's status ({@code RUNNING}, {@code RESTARTING}, ...) from {@code GET /jobs/<id>}. */
    public String jobStatus(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId).path("state").asText();
    }

    /**
     * Whether the job is {@code RUNNING} and every subtask of every vertex is {@code RUNNING}. (The
     * job's own status turns RUNNING while its tasks are still being scheduled and deployed, and with
     * region failover it stays RUNNING while the regions on a lost TaskManager restart.)
     */
    public boolean allTasksRunning(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        if (!"RUNNING".equals(job.path("state").asText())) {
            return false;
        }
        for (JsonNode vertex : job.path("vertices")) {
            int parallelism = vertex.path("parallelism").asInt();
            if (vertex.path("tasks").path("RUNNING").asInt() != parallelism) {
                return false;
            }
        }
        return true;
    }

    /**
     * How many failures the job has recorded ({@code GET /jobs/<id>/exceptions}, the entries of its
     * exception history; the history is capped by {@code web.exception-history-size}, 16 by default).
     */
    public int failureCount(String jobId) throws IOException, InterruptedException {
        return get("/jobs/" + jobId + "/exceptions").path("exceptionHistory").path("entries").size();
    }

    /**
     * The ids of the TaskManagers that run at least one subtask of the job, from
     * {@code GET /jobs/<id>/vertices/<vertex>/taskmanagers} for each vertex.
     */
    public Set<String> taskManagersOf(String jobId) throws IOException, InterruptedException {
        Set<String> ids = new TreeSet<>();
        for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
            JsonNode perTaskManager = get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/taskmanagers");
            for (JsonNode tm : perTaskManager.path("taskmanagers")) {
                ids.add(tm.path("taskmanager-id").asText());
            }
        }
        return ids;
    }

    /**
     * Stops the job with a savepoint in {@code targetDirectory} ({@code POST /jobs/<id>/stop}, as
     * {@code flink stop} does), waits for the savepoint to complete, and returns its path.
     */
    public String stopWithSavepoint(String jobId, String targetDirectory, Duration timeout)
            throws IOException, InterruptedException {
        String body = JSON.createObjectNode().put("targetDirectory", targetDirectory).put("drain", false).toString();
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/jobs/" + jobId + "/stop"))
                .timeout(REQUEST_TIMEOUT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202 && response.statusCode() != 200) {
            throw new IOException("POST /jobs/" + jobId + "/stop answered " + response.statusCode() + ": " + response.body());
        }
        String trigger = JSON.readTree(response.body()).path("request-id").asText();
        String[] location = new String[1];
        String[] failure = new String[1];
        Poll.until("the savepoint of job " + jobId + " completes", timeout, () -> {
            JsonNode status = get("/jobs/" + jobId + "/savepoints/" + trigger);
            if (!"COMPLETED".equals(status.path("status").path("id").asText())) {
                return false;
            }
            JsonNode operation = status.path("operation");
            location[0] = operation.has("failure-cause") ? null : operation.path("location").asText();
            failure[0] = operation.path("failure-cause").toString();
            return true;
        });
        if (location[0] == null) {
            throw new IOException("stop with savepoint of job " + jobId + " failed: " + failure[0]);
        }
        return location[0];
    }

    /** GETs {@code path} and parses the JSON body. */
    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(REQUEST_TIMEOUT).GET().build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }
}

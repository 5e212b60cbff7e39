package dev.blt.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.apache.avro.Schema;

/**
 * A Confluent-compatible Schema Registry (Confluent's, or Apicurio's /apis/ccompat/v7, Karapace...):
 * where the job registers its output schemas, so that Schema Registry based tools (Confluent
 * deserializers, Kafka Connect's Avro converter, ksqlDB, {@code kcat -s avro}) read its topics.
 * Subjects follow the default topic-name strategy: {@code <topic>-value}.
 *
 * @param url      base URL of the registry's REST API, e.g. http://registry:8081 or
 *                 http://apicurio:8080/apis/ccompat/v7
 * @param userInfo "USER:PASSWORD" for HTTP basic authentication (Confluent's basic.auth.user.info), or null
 */
public record SchemaRegistry(String url, String userInfo) implements Serializable {

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    public SchemaRegistry {
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new IllegalArgumentException("--schema-registry-url must be an http:// or https:// URL, got '" + url + "'");
        }
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        if (userInfo != null && !userInfo.contains(":")) {
            throw new IllegalArgumentException("--schema-registry-user-info must be USER:PASSWORD");
        }
    }

    /** The subject of a topic's values under the topic-name strategy. */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    /**
     * Registers schema under subject (or finds it registered) and returns its id. Every parallel sink
     * registers the same schema at start-up; a registry may answer all but the first with a conflict
     * (Apicurio does: HTTP 409, "already exists"), so a conflict is followed by looking the schema up.
     */
    public int register(String subject, Schema schema) {
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        for (int attempt = 1; ; attempt++) {
            HttpResponse<String> registered = send(HttpRequest.newBuilder(uri("/subjects/" + subject + "/versions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), "register " + subject);
            HttpResponse<String> reply = registered.statusCode() != CONFLICT ? registered
                    : send(HttpRequest.newBuilder(uri("/subjects/" + subject))
                            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), "look up " + subject);
            if (reply.statusCode() / 100 == 2) {
                JsonNode json = parse(reply, "register " + subject);
                if (!json.has("id")) {
                    throw new IllegalStateException("schema registry " + url + " answered registering " + subject
                            + " without an id: " + json);
                }
                return json.get("id").asInt();
            }
            if (registered.statusCode() != CONFLICT || attempt == CONFLICT_ATTEMPTS) {
                throw refused("register " + subject, reply);
            }
            pause(CONFLICT_BACKOFF); // the concurrent registration is not visible to a lookup yet
        }
    }

    private static final int CONFLICT = 409;
    private static final int CONFLICT_ATTEMPTS = 10;
    private static final Duration CONFLICT_BACKOFF = Duration.ofMillis(200);

    /** The schema registered under id. */
    public Schema schemaById(int id) {
        JsonNode reply = call(HttpRequest.newBuilder(uri("/schemas/ids/" + id)).GET(), "read schema " + id);
        return new Schema.Parser().parse(reply.get("schema").asText());
    }

    /** Fails with a message naming the registry when it does not answer its subjects list. */
    public void checkReachable() {
        call(HttpRequest.newBuilder(uri("/subjects")).GET(), "list subjects");
    }

    private URI uri(String path) {
        return URI.create(url + path);
    }

    /** The answer's JSON; an answer other than 2xx is an IllegalStateException naming the registry. */
    private JsonNode call(HttpRequest.Builder request, String what) {
        HttpResponse<String> response = send(request, what);
        if (response.statusCode() / 100 != 2) {
            throw refused(what, response);
        }
        return parse(response, what);
    }

    /** Any answer; no answer at all is an UncheckedIOException naming the registry. */
    private HttpResponse<String> send(HttpRequest.Builder request, String what) {
        request.timeout(TIMEOUT).header("Accept", CONTENT_TYPE).header("Content-Type", CONTENT_TYPE);
        if (userInfo != null) {
            request.header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8)));
        }
        try {
            return HttpClient.newBuilder().connectTimeout(TIMEOUT).build()
                    .send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("schema registry " + url + " did not answer (" + what + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling schema registry " + url, e);
        }
    }

    private IllegalStateException refused(String what, HttpResponse<String> response) {
        return new IllegalStateException("schema registry " + url + " refused to " + what + ": HTTP "
                + response.statusCode() + " " + response.body());
    }

    private JsonNode parse(HttpResponse<String> response, String what) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("schema registry " + url + " answered " + what + " with no JSON: "
                    + response.body(), e);
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a schema registry", e);
        }
    }
}

package dev.blt.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Checks, before a job starts, what would otherwise make it fail and restart in a loop: the
 * broker must answer, every topic the job reads or writes must exist, and the sinks' transaction
 * timeout must be one the broker accepts. Each failure says what to fix.
 */
public final class KafkaPreflight {

    private KafkaPreflight() {
    }

    /**
     * @param clientProperties the job's Kafka client properties (security settings apply here too)
     * @throws IllegalStateException with a message for the user when a check fails
     */
    public static void check(String bootstrapServers, Properties clientProperties, Collection<String> topics,
                             long transactionTimeoutMs, Duration timeout) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(props)) {
            Collection<Node> nodes = get(admin.describeCluster().nodes(), timeout,
                    "cannot reach the Kafka cluster at " + bootstrapServers);
            requireTopics(admin, topics, timeout);
            requireTransactionTimeout(admin, nodes.iterator().next(), transactionTimeoutMs, timeout);
        }
    }

    private static void requireTopics(Admin admin, Collection<String> topics, Duration timeout) {
        Set<String> existing = get(admin.listTopics().names(), timeout, "cannot list the Kafka cluster's topics");
        List<String> missing = new ArrayList<>(new TreeSet<>(topics));
        missing.removeAll(existing);
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing Kafka topic(s): " + String.join(", ", missing)
                    + ". Create them first (see docker/create-topics.sh), or name existing ones with the --*-topic flags.");
        }
    }

    private static void requireTransactionTimeout(Admin admin, Node broker, long transactionTimeoutMs, Duration timeout) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker.idString());
        Map<ConfigResource, Config> configs;
        try {
            configs = get(admin.describeConfigs(List.of(resource)).all(), timeout, "cannot read the broker's configuration");
        } catch (IllegalStateException e) {
            return; // not allowed to describe broker configs (ACLs): the producer will check it at start
        }
        ConfigEntry max = configs.get(resource).get("transaction.max.timeout.ms");
        if (max != null && max.value() != null && transactionTimeoutMs > Long.parseLong(max.value())) {
            throw new IllegalStateException("transaction.timeout.ms (" + transactionTimeoutMs + ") exceeds the broker's "
                    + "transaction.max.timeout.ms (" + max.value() + "): lower it with -K transaction.timeout.ms=... or "
                    + "raise the broker's limit");
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " within " + timeout.toSeconds() + " s: is the broker up, and are "
                    + "--bootstrap-servers and the -K security settings right?", e);
        }
    }
}

package dev.blt.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;

/**
 * Checks, before a job starts, what would otherwise make it fail and restart in a loop: the
 * broker must answer and accept the job's credentials, every topic the job reads or writes must
 * exist and be visible to it, and the sinks' transaction timeout must be one the broker accepts.
 * Each failure says what to fix. A failed login or a denied request fails at once: waiting does
 * not fix it. Messages never contain the password of {@code sasl.jaas.config}.
 */
public final class KafkaPreflight {

    private final Admin admin;
    private final String bootstrapServers;
    private final Login login;
    private final Duration timeout;

    private KafkaPreflight(Admin admin, String bootstrapServers, Login login, Duration timeout) {
        this.admin = admin;
        this.bootstrapServers = bootstrapServers;
        this.login = login;
        this.timeout = timeout;
    }

    /**
     * @param clientProperties the job's Kafka client properties (security settings apply here too)
     * @return the cluster's id, which names the cluster whatever address reaches it
     * @throws IllegalStateException with a one-line message for the user when a check fails
     */
    public static String check(String bootstrapServers, Properties clientProperties, Collection<String> topics,
                             long transactionTimeoutMs, Duration timeout) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        Login login = new Login(clientProperties);
        try (Admin admin = create(props, bootstrapServers, login)) {
            KafkaPreflight preflight = new KafkaPreflight(admin, bootstrapServers, login, timeout);
            DescribeClusterResult cluster = admin.describeCluster();
            Collection<Node> nodes = preflight.get(cluster.nodes(), "cannot reach the Kafka cluster at " + bootstrapServers);
            preflight.requireTopics(topics);
            preflight.requireTransactionTimeout(nodes.iterator().next(), transactionTimeoutMs);
            return preflight.get(cluster.clusterId(), "cannot read the Kafka cluster's id");
        }
    }

    /** The admin client; settings it rejects (a SASL mechanism without its JAAS options, ...) are named. */
    private static Admin create(Properties props, String bootstrapServers, Login login) {
        try {
            return Admin.create(props);
        } catch (KafkaException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String reason = oneLine(String.valueOf(root.getMessage()));
            throw new IllegalStateException(login.redact("cannot create a Kafka client for " + bootstrapServers
                    + " with " + login + ": " + reason + ". " + capitalized(login.whatToCheck(root))), e);
        }
    }

    private void requireTopics(Collection<String> topics) {
        Set<String> existing = get(admin.listTopics().names(), "cannot list the Kafka cluster's topics");
        List<String> unlisted = new ArrayList<>(new TreeSet<>(topics));
        unlisted.removeAll(existing);
        if (unlisted.isEmpty()) {
            return;
        }
        // The list leaves out the topics this client may not describe: tell those from missing ones.
        Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(unlisted).topicNameValues();
        List<String> denied = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String topic : unlisted) {
            Throwable failure = failureOf(described.get(topic));
            if (failure instanceof TopicAuthorizationException) {
                denied.add(topic);
            } else if (failure != null) {
                missing.add(topic);
            }
        }
        if (!denied.isEmpty()) {
            throw new IllegalStateException("the Kafka cluster at " + bootstrapServers + " denies " + login
                    + " access to topic(s) " + String.join(", ", denied) + ". Grant this user Describe on them (and Read "
                    + "on the input, Write on the outputs), or " + login.whatToCheck(null));
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("missing Kafka topic(s): " + String.join(", ", missing)
                    + ". Create them first (see docker/create-topics.sh), or name existing ones with the --*-topic flags.");
        }
    }

    private void requireTransactionTimeout(Node broker, long transactionTimeoutMs) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker.idString());
        Map<ConfigResource, Config> configs;
        try {
            configs = get(admin.describeConfigs(List.of(resource)).all(), "cannot read the broker's configuration");
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

    private <T> T get(KafkaFuture<T> future, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(describe(what, e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(what + " within " + timeout.toSeconds() + " s: is the broker up, and are "
                    + "--bootstrap-servers and the -K security settings right?", e);
        }
    }

    /** The failure of a future (null if it succeeded), waiting at most the timeout (a timeout is a failure too). */
    private Throwable failureOf(KafkaFuture<?> future) {
        try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            return e;
        }
    }

    /** A one-line message for a failed request; a login or access failure says which settings to check. */
    private String describe(String what, Throwable cause) {
        String reason = oneLine(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
        if (cause instanceof AuthenticationException) {
            return login.redact("cannot log in to the Kafka cluster at " + bootstrapServers + " as " + login + ": "
                    + reason + ". " + capitalized(login.whatToCheck(cause)));
        }
        if (cause instanceof AuthorizationException) {
            return login.redact(what + ": the cluster denies " + login + " (" + reason + "). Grant this user the ACL, "
                    + "or " + login.whatToCheck(cause));
        }
        return login.redact(what + ": " + reason);
    }

    /** The client's login settings as messages name them; never its password. */
    private static final class Login {

        /** A JAAS option that holds a secret (password, clientSecret, ...), quoted or not. */
        private static final Pattern SECRET =
                Pattern.compile("(?i)\\b\\w*(?:password|secret)\\w*\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;\"]+))");
        private static final Pattern USERNAME = Pattern.compile("\\busername\\s*=\\s*(?:\"([^\"]*)\"|([^\\s;\"]+))");

        private final String protocol;
        private final String mechanism;
        private final String jaasConfig;

        Login(Properties clientProperties) {
            protocol = clientProperties.getProperty(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
                    CommonClientConfigs.DEFAULT_SECURITY_PROTOCOL);
            mechanism = clientProperties.getProperty(SaslConfigs.SASL_MECHANISM);
            jaasConfig = clientProperties.getProperty(SaslConfigs.SASL_JAAS_CONFIG, "");
        }

        private boolean sasl() {
            return protocol.toUpperCase(Locale.ROOT).startsWith("SASL");
        }

        /** E.g. "security.protocol=SASL_PLAINTEXT, sasl.mechanism=PLAIN, username=blt". */
        @Override
        public String toString() {
            StringBuilder out = new StringBuilder(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG + "=" + protocol);
            if (sasl()) {
                out.append(", " + SaslConfigs.SASL_MECHANISM + "=")
                        .append(mechanism == null ? SaslConfigs.DEFAULT_SASL_MECHANISM + " (the default)" : mechanism);
                Matcher username = USERNAME.matcher(jaasConfig);
                if (username.find()) {
                    out.append(", username=").append(value(username));
                }
            }
            return out.toString();
        }

        String whatToCheck(Throwable cause) {
            if (cause instanceof SslAuthenticationException) {
                return "check -K security.protocol and the -K ssl.* settings (truststore, keystore).";
            }
            if (!sasl()) {
                return "check --bootstrap-servers, -K security.protocol and the other -K settings.";
            }
            return "check the -K sasl.jaas.config credentials, -K sasl.mechanism and -K security.protocol: they must "
                    + "match the broker's listener.";
        }

        /** The message with every secret of sasl.jaas.config masked, should a client error have quoted one. */
        String redact(String message) {
            Matcher secret = SECRET.matcher(jaasConfig);
            String out = message;
            while (secret.find()) {
                if (!value(secret).isEmpty()) {
                    out = out.replace(value(secret), "***");
                }
            }
            return out;
        }

        private static String value(Matcher option) {
            return option.group(1) != null ? option.group(1) : option.group(2);
        }
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s+", " ").replaceAll("\\.$", "");
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}

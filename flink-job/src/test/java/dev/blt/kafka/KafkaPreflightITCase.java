package dev.blt.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.BltMain;
import dev.blt.kafka.embedded.EmbeddedKafkaBroker;
import dev.blt.testing.ModelFolders;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The preflight against a broker whose client listener wants SASL/PLAIN: the right credentials
 * pass, a wrong password stops it at once with a message that says what to check and does not
 * contain the password, and `blt run` exits with that message before any job starts. A user
 * without ACLs, and a mechanism the JAAS options do not fit, are named as such too.
 */
@Timeout(180)
class KafkaPreflightITCase {

    private static final String LISTENER = "SASL";
    private static final String USER = "blt-job";
    private static final String PASSWORD = "right-pass-5d1c";
    private static final String WRONG_PASSWORD = "wrong-pass-93ab";
    /** A user who logs in but has no ACLs (USER is a super user). */
    private static final String OTHER_USER = "no-acls";
    private static final String OTHER_PASSWORD = "other-pass-44e0";
    /** As in `blt run`: how long the preflight waits for an unreachable broker. */
    private static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(30);
    private static final List<String> TOPICS = List.of("sasl.in", "sasl.out");

    private static EmbeddedKafkaBroker broker;
    private static String saslServers;

    @BeforeAll
    static void startBroker() {
        String listener = "listener.name." + LISTENER.toLowerCase(Locale.ROOT) + ".";
        broker = EmbeddedKafkaBroker.start(Map.of(LISTENER, SecurityProtocol.SASL_PLAINTEXT), Map.of(
                listener + "sasl.enabled.mechanisms", "PLAIN",
                listener + "plain.sasl.jaas.config", PlainLoginModule.class.getName() + " required user_" + USER
                        + "=\"" + PASSWORD + "\" user_" + OTHER_USER + "=\"" + OTHER_PASSWORD + "\";",
                "authorizer.class.name", StandardAuthorizer.class.getName(),
                // The plaintext listeners (controller, inter-broker) have no login: ANONYMOUS.
                "super.users", "User:ANONYMOUS;User:" + USER));
        saslServers = broker.bootstrapServers(LISTENER);
        for (String topic : TOPICS) {
            KafkaTopics.create(saslServers, saslClient(USER, PASSWORD), topic, 1); // an admin that logs in
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void rightCredentialsPass() {
        KafkaPreflight.check(saslServers, saslClient(USER, PASSWORD), TOPICS, 60_000, PREFLIGHT_TIMEOUT);
    }

    @Test
    void aMissingTopicIsNamedAsMissing() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KafkaPreflight.check(
                saslServers, saslClient(USER, PASSWORD), List.of("sasl.in", "sasl.nope"), 60_000, PREFLIGHT_TIMEOUT));
        assertTrue(e.getMessage().startsWith("missing Kafka topic(s): sasl.nope. "), e.getMessage());
    }

    @Test
    void wrongPasswordFailsAtOnceWithWhatToCheckAndWithoutThePassword() {
        long start = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KafkaPreflight.check(
                saslServers, saslClient(USER, WRONG_PASSWORD), TOPICS, 60_000, PREFLIGHT_TIMEOUT));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        String message = e.getMessage();
        assertInstanceOf(SaslAuthenticationException.class, e.getCause(), message);
        assertEquals("cannot log in to the Kafka cluster at " + saslServers + " as security.protocol=SASL_PLAINTEXT, "
                + "sasl.mechanism=PLAIN, username=" + USER + ": Authentication failed: Invalid username or password. "
                + "Check the -K sasl.jaas.config credentials, -K sasl.mechanism and -K security.protocol: they must "
                + "match the broker's listener.", message);
        assertFalse(message.contains(WRONG_PASSWORD), message);
        // Not the reachability wait running out: the login failure ends the check.
        assertTrue(took.compareTo(PREFLIGHT_TIMEOUT.dividedBy(2)) < 0, "took " + took);
    }

    @Test
    void aMechanismWithoutItsSettingsIsNamed() {
        Properties client = saslClient(USER, PASSWORD);
        client.remove("sasl.mechanism"); // GSSAPI (Kerberos), which these JAAS options do not configure
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KafkaPreflight.check(
                saslServers, client, TOPICS, 60_000, PREFLIGHT_TIMEOUT));
        assertEquals("cannot create a Kafka client for " + saslServers + " with security.protocol=SASL_PLAINTEXT, "
                + "sasl.mechanism=GSSAPI (the default), username=" + USER + ": No serviceName defined in either JAAS "
                + "or Kafka config. Check the -K sasl.jaas.config credentials, -K sasl.mechanism and "
                + "-K security.protocol: they must match the broker's listener.", e.getMessage());
    }

    @Test
    void aUserWithoutAclsIsToldWhichTopicsItMayNotSee() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> KafkaPreflight.check(
                saslServers, saslClient(OTHER_USER, OTHER_PASSWORD), TOPICS, 60_000, PREFLIGHT_TIMEOUT));
        assertEquals("the Kafka cluster at " + saslServers + " denies security.protocol=SASL_PLAINTEXT, "
                + "sasl.mechanism=PLAIN, username=" + OTHER_USER + " access to topic(s) sasl.in, sasl.out. Grant this "
                + "user Describe on them (and Read on the input, Write on the outputs), or check the -K sasl.jaas.config "
                + "credentials, -K sasl.mechanism and -K security.protocol: they must match the broker's listener.",
                e.getMessage());
    }

    @Test
    void runExitsWithTheMessageBeforeTheJobStarts(@TempDir Path tmp) {
        StringWriter err = new StringWriter();
        CommandLine cli = BltMain.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("run", "--bootstrap-servers", saslServers, "--model", ModelFolders.shipped().toString(),
                "--stage", "patch", "--input-topic", "sasl.in", "--patches-topic", "sasl.out", "--dlq-topic", "sasl.out",
                "--checkpoint-dir", tmp.toUri().toString(),
                "-K", "security.protocol=SASL_PLAINTEXT", "-K", "sasl.mechanism=PLAIN",
                "-K", "sasl.jaas.config=" + jaasConfig(USER, WRONG_PASSWORD));

        assertEquals(2, code, err.toString());
        assertTrue(err.toString().startsWith("blt: cannot log in to the Kafka cluster at " + saslServers + " as "
                + "security.protocol=SASL_PLAINTEXT, sasl.mechanism=PLAIN, username=" + USER + ": "), err.toString());
        assertFalse(err.toString().contains(WRONG_PASSWORD), err.toString());
        assertEquals(1, err.toString().lines().count(), err.toString());
    }

    private static Properties saslClient(String user, String password) {
        Properties props = new Properties();
        props.put("security.protocol", "SASL_PLAINTEXT");
        props.put("sasl.mechanism", "PLAIN");
        props.put("sasl.jaas.config", jaasConfig(user, password));
        return props;
    }

    private static String jaasConfig(String user, String password) {
        return PlainLoginModule.class.getName() + " required username=\"" + user + "\" password=\"" + password + "\";";
    }
}

package dev.blt.kafka;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Topic creation for `blt demo` and the tests: creates a topic and waits until every partition has
 * a leader, so that the first produce or fetch does not race the controller.
 */
public final class KafkaTopics {

    private static final long READY_TIMEOUT_MS = 60_000;

    private KafkaTopics() {}

    public static void create(String bootstrapServers, String name, int partitions) {
        create(bootstrapServers, new Properties(), name, partitions);
    }

    /** The same, with more client properties, e.g. the security settings of a SASL listener. */
    public static void create(String bootstrapServers, Properties clientProperties, String name, int partitions) {
        Properties conf = new Properties();
        conf.putAll(clientProperties);
        conf.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(conf)) {
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
            awaitLeaders(admin, name, partitions);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Could not create topic " + name, e);
        }
    }

    /**
     * Polls until the topic is known to the broker we ask and each partition has a leader. Straight
     * after creation a broker may still answer UnknownTopicOrPartition (its metadata lags the
     * controller's), most visibly on a busy machine: that answer is retriable, so it is retried.
     */
    private static void awaitLeaders(Admin admin, String name, int partitions)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get(name);
                boolean ready = description.partitions().size() == partitions
                        && description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty());
                if (ready) {
                    return;
                }
                last = null;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
                last = e;
            }
            Thread.sleep(50); // poll interval of a wait-for-condition loop with a deadline
        }
        throw new IllegalStateException("Topic " + name + " did not get a leader for each of its " + partitions
                + " partitions within " + READY_TIMEOUT_MS + " ms", last);
    }
}

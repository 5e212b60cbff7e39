package dev.blt.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Log4j 2 configuration of the child JVMs: INFO to the file named by the system property
 * {@code log.file} (the property Flink's own entrypoints and scripts use), appended, so that a
 * restarted process continues its predecessor's log.
 *
 * <p>blt.jar carries its own log4j2.properties (ERROR to stderr, for the CLI); children get this file
 * instead through {@code -Dlog4j.configurationFile}.
 */
final class ChildLogConfig {

    static final String FILE_NAME = "log4j2-children.properties";

    private static final String CONTENT = """
            # Written by dev.blt.fault.ChildLogConfig for the child JVMs of the fault-injection harness.
            status = warn
            monitorInterval = 0

            rootLogger.level = INFO
            rootLogger.appenderRef.file.ref = file

            appender.file.type = File
            appender.file.name = file
            appender.file.fileName = ${sys:log.file}
            appender.file.append = true
            appender.file.layout.type = PatternLayout
            appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-60c [%t] %m%n

            # Every Kafka client (the Flink sink creates many transactional producers) dumps its whole
            # configuration at INFO; that drowns the lines that matter for fault tests.
            logger.producerConfig.name = org.apache.kafka.clients.producer.ProducerConfig
            logger.producerConfig.level = WARN
            logger.consumerConfig.name = org.apache.kafka.clients.consumer.ConsumerConfig
            logger.consumerConfig.level = WARN
            logger.adminConfig.name = org.apache.kafka.clients.admin.AdminClientConfig
            logger.adminConfig.level = WARN
            logger.appInfo.name = org.apache.kafka.common.utils.AppInfoParser
            logger.appInfo.level = WARN
            # Known noise: KafkaSink registers each transactional producer's metrics under the same names.
            logger.flinkMetricCollisions.name = org.apache.flink.metrics.MetricGroup
            logger.flinkMetricCollisions.level = ERROR
            """;

    private ChildLogConfig() {}

    /** Writes the configuration into {@code logDir} unless it is there already, and returns its path. */
    static Path writeInto(Path logDir) {
        Path file = logDir.resolve(FILE_NAME);
        try {
            Files.createDirectories(logDir);
            if (!Files.exists(file)) {
                Files.writeString(file, CONTENT);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + file, e);
        }
    }
}

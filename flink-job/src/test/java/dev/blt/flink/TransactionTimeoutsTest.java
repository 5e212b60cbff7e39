package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.cli.KafkaJobOptions;
import dev.blt.model.ModelSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The sinks' transaction timeout must outlast a checkpoint interval plus a checkpoint. */
class TransactionTimeoutsTest {

    @Test
    void aTimeoutShorterThanTwoIntervalsIsRefusedWithWhatToChange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> options("-K", "transaction.timeout.ms=5000"));
        assertTrue(e.getMessage().contains("transaction.timeout.ms (5000)"), e.getMessage());
        assertTrue(e.getMessage().contains("20200"), e.getMessage()); // 2 x 10 s + 200 ms bundle delay
    }

    @Test
    void theDefaultsFitAndTheCheckpointTimeoutEndsBeforeTheTransaction() {
        JobOptions o = options();
        assertEquals(900_000, o.transactionTimeoutMs());
        assertEquals(Duration.ofMinutes(10), TransactionTimeouts.checkpointTimeout(900_000, 10_000, 200));
        Duration tight = TransactionTimeouts.checkpointTimeout(30_000, 10_000, 200);
        assertEquals(Duration.ofMillis(19_800), tight);
        assertTrue(tight.toMillis() + 10_000 + 200 <= 30_000);
    }

    @Test
    void aTimeoutThatIsNotANumberIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> options("-K", "transaction.timeout.ms=soon"));
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
    }

    private static JobOptions options(String... flags) {
        return KafkaJobOptions.parse(flags).toJobOptions("localhost:9092", new ModelSource(null, "cpu", 1, null), false);
    }
}

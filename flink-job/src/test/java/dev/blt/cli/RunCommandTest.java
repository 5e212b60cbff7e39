package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** `blt run`'s start-up checks wait 30 s for the cluster, or the clients' own default.api.timeout.ms. */
class RunCommandTest {

    private static Properties kafka(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    @Test
    void theChecksWaitAsLongAsTheClientsWould() {
        assertEquals(Duration.ofSeconds(30), RunCommand.preflightTimeout(kafka()));
        assertEquals(Duration.ofMillis(5000), RunCommand.preflightTimeout(kafka("default.api.timeout.ms", " 5000 ")));
        for (String bad : new String[] {"0", "-5", "soon", "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RunCommand.preflightTimeout(kafka("default.api.timeout.ms", bad)));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void aMistypedOptionIsNamedWithTheOneMeantAndNoUsageDump() {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = BltMain.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute("run", "--bootstrap-server", "localhost:9092", "--bounded");
        String said = err.toString();
        assertEquals(2, code, said);
        assertTrue(said.startsWith("blt run: unknown option --bootstrap-server; did you mean --bootstrap-servers"), said);
        assertTrue(said.lines().count() <= 3, said);
    }

    @Test
    void aMissingRequiredOptionIsSaidInOneLine() {
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = BltMain.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        assertEquals(2, cl.execute("run", "--bounded"));
        assertTrue(err.toString().contains("blt run: Missing required option: '--bootstrap-servers="), err.toString());
        assertEquals(2, err.toString().lines().count(), err.toString());
    }
}

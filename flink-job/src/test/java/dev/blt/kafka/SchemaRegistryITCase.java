package dev.blt.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Settings are checked where they are given; a registry that does not answer is named. */
class SchemaRegistryITCase {

    @Test
    void badSettingsAreRefusedWithTheFlagName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SchemaRegistry("registry:8081", null))
                .getMessage().contains("--schema-registry-url must be an http:// or https:// URL"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SchemaRegistry("http://r:8081", "alice"))
                .getMessage().contains("USER:PASSWORD"));
        assertEquals("http://r:8081", new SchemaRegistry("http://r:8081/", null).url());
        assertEquals("blt.patches-value", SchemaRegistry.valueSubject("blt.patches"));
    }

    @Test
    void aRegistryThatDoesNotAnswerIsNamed() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort(); // closed again: nothing listens there
        }
        SchemaRegistry registry = new SchemaRegistry("http://127.0.0.1:" + port, null);
        Exception e = assertThrows(RuntimeException.class, registry::checkReachable);
        assertTrue(e.getMessage().contains("schema registry http://127.0.0.1:" + port + " did not answer"), e.getMessage());
    }
}

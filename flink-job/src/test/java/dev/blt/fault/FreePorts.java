package dev.blt.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** Picks TCP ports on localhost that are free right now. */
public final class FreePorts {

    private FreePorts() {}

    /**
     * Returns {@code count} distinct ports that were free when this method ran. All sockets are held
     * open until every port is picked, so the ports differ from each other; another process can still
     * take one before the caller binds it, which is unlikely enough for tests.
     */
    public static int[] pick(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket();
                sockets.add(socket);
                // The children also set SO_REUSEADDR, so a port in TIME_WAIT is no obstacle.
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not pick free ports", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // Closing a listening socket that was never accepted on does not fail in practice.
                }
            }
        }
    }

    /** One free port; see {@link #pick(int)}. */
    public static int pick() {
        return pick(1)[0];
    }
}

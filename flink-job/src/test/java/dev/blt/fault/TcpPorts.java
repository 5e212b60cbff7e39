package dev.blt.fault;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Probes whether something listens on a local TCP port. */
final class TcpPorts {

    private static final int CONNECT_TIMEOUT_MS = 500;

    private TcpPorts() {}

    /** Whether a connection to {@code localhost:port} succeeds now (it is closed at once). */
    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

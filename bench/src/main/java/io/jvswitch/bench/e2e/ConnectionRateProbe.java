package io.jvswitch.bench.e2e;

import io.jvswitch.control.lab.NetnsLab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The connection rate through a path: an accepter in the server namespace that answers one short
 * request and closes, and a loop in the client namespace that connects, sends, reads the answer
 * and closes, one connection after another for a fixed time. Every connection crosses the path's
 * connection tracking or relay from its first packet, which a long iperf3 stream does only once.
 */
final class ConnectionRateProbe {
    static final int PORT = 8080;

    private static final String ACCEPTER = String.join(
            "\n",
            "import socket, threading",
            "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('0.0.0.0', " + PORT + ")); s.listen(1024)",
            "def serve(c):",
            "    try:",
            "        c.recv(64); c.sendall(b'ok')",
            "    finally:",
            "        c.close()",
            "while True:",
            "    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()",
            "");

    /** Bounded: the loop ends after the given seconds, and a stuck connection gives up after 3 s. */
    private static final String CONNECTOR = String.join(
            "\n",
            "import socket, sys, time",
            "host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])",
            "n = 0; start = time.monotonic(); end = start + seconds",
            "try:",
            "    while time.monotonic() < end:",
            "        c = socket.create_connection((host, port), timeout=3)",
            "        try:",
            "            c.sendall(b'hi'); c.recv(8)",
            "        finally:",
            "            c.close()",
            "        n += 1",
            "except OSError as e:",
            "    print('failed after %d connections: %s' % (n, e)); sys.exit(1)",
            "print('%d connections in %.3f s' % (n, time.monotonic() - start))",
            "");

    private final Path accepter;
    private final Path connector;

    /** Writes the two scripts into {@code dir}. */
    ConnectionRateProbe(Path dir) throws IOException {
        this.accepter = Files.writeString(dir.resolve("accepter.py"), ACCEPTER);
        this.connector = Files.writeString(dir.resolve("connector.py"), CONNECTOR);
    }

    /** Starts the accepter on {@link #PORT} in {@code namespace}; the caller ends it by PID. */
    Process startAccepter(NetnsLab lab, String namespace, Path output) throws IOException {
        return lab.start(namespace, output, "python3", accepter.toString());
    }

    /** Runs the connection loop from {@code namespace} to {@code address} for {@code seconds}. */
    ConnectionRate measure(String namespace, String address, int seconds) throws IOException, InterruptedException {
        final TimedCommand.Result out = TimedCommand.run(
                namespace,
                seconds + 20L,
                "python3",
                connector.toString(),
                address,
                Integer.toString(PORT),
                Integer.toString(seconds));
        if (out.timedOut()) {
            throw new IllegalStateException("the connection loop did not finish within " + (seconds + 20) + " s");
        }
        return ConnectionRate.parse(out.output());
    }
}

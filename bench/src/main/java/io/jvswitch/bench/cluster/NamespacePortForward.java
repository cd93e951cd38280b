package io.jvswitch.bench.cluster;

import io.jvswitch.tap.NetworkNamespace;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP port on this process's loopback that leads to an address inside a network namespace the
 * bench created: each accepted connection is matched by one opened from inside that namespace
 * (a socket keeps the namespace it was made in), and bytes are copied both ways. It lets the
 * bench's own store client reach an etcd that only the namespaces' underlay can see, without
 * touching the root namespace's links or routes.
 */
final class NamespacePortForward implements AutoCloseable {
    private final ServerSocket server;
    private final Path namespace;
    private final InetSocketAddress target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    NamespacePortForward(String namespace, InetSocketAddress target) throws IOException {
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.namespace = NetworkNamespace.named(namespace);
        this.target = target;
        Thread.ofPlatform().daemon(true).name("jvs-bench-forward").start(this::accept);
    }

    /** {@code http://127.0.0.1:PORT}. */
    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                final Socket client = server.accept();
                final Socket inside = NetworkNamespace.call(namespace, () -> {
                    final Socket s = new Socket();
                    s.connect(target, 2_000);
                    return s;
                });
                open.add(client);
                open.add(inside);
                pipe(client, inside);
                pipe(inside, client);
            } catch (Exception e) {
                if (server.isClosed()) {
                    return;
                }
            }
        }
    }

    private static void pipe(Socket from, Socket to) {
        Thread.ofPlatform().daemon(true).name("jvs-bench-forward-pipe").start(() -> {
            final byte[] buffer = new byte[16_384];
            try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: close both
            }
            closeQuietly(from);
            closeQuietly(to);
        });
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        open.forEach(NamespacePortForward::closeQuietly);
    }
}

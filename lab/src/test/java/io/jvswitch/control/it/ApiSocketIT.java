package io.jvswitch.control.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jvswitch.testsupport.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The API socket against clients that connect and never finish their request. */
class ApiSocketIT {
    /** The daemon's connection cap (ApiServer.MAX_CONNECTIONS). */
    static final int CAP = 256;

    DaemonFixture f;
    final List<SocketChannel> held = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (SocketChannel ch : held) {
            ch.close();
        }
        if (f != null) {
            f.close();
        }
    }

    @Test
    void halfSentRequestsCannotHoldTheSocketAndOthersAreAnswered() throws Exception {
        f = new DaemonFixture("jvsit-api");
        final long pid = f.daemon.pid();
        f.ok("network", "ls");
        final int baseline = fds(pid);
        final byte[] half = ("POST /v1/networks HTTP/1.1\r\nHost: jvs\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{\"name\":")
                .getBytes(StandardCharsets.US_ASCII);
        final long started = System.nanoTime();
        int mostFds = 0;
        for (int i = 0; i < 4000; i++) {
            final SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(f.socket));
            ch.write(ByteBuffer.wrap(half));
            held.add(ch);
            if (i % 500 == 499) {
                mostFds = Math.max(mostFds, fds(pid));
            }
        }
        mostFds = Math.max(mostFds, fds(pid));
        // A well-behaved client, while the half-sent requests sit there.
        final long asked = System.nanoTime();
        f.ok("network", "create", "frontend", "--subnet", "10.79.0.0/24");
        final double answeredMillis = (System.nanoTime() - asked) / 1e6;
        assertTrue(f.ok("network", "ls").out().contains("frontend"));
        assertTrue(
                mostFds <= baseline + CAP + 16,
                "the daemon's descriptors stay bounded: " + mostFds + " with " + baseline + " before");

        // A client that trickles one byte every 0.5 s is closed at the deadline all the same.
        final SocketChannel trickle = SocketChannel.open(UnixDomainSocketAddress.of(f.socket));
        held.add(trickle);
        final long trickleStart = System.nanoTime();
        final byte[] request = "GET /v1/networks HTTP/1.1\r\nHost: jvs\r\n".getBytes(StandardCharsets.US_ASCII);
        boolean closedByDaemon = false;
        for (int i = 0; i < 60 && !closedByDaemon; i++) {
            try {
                trickle.write(ByteBuffer.wrap(request, i % request.length, 1));
                Thread.sleep(500); // the trickle's pace: one byte every half second
            } catch (IOException e) {
                closedByDaemon = true; // EPIPE: the daemon closed its end
            }
        }
        final double trickleSeconds = (System.nanoTime() - trickleStart) / 1e9;
        assertTrue(closedByDaemon, "a trickle does not keep a connection open");
        assertTrue(trickleSeconds < 20, "closed near the 10 s deadline: " + trickleSeconds);

        // Past the deadline the half-sent connections are gone from the daemon.
        Await.holdsWithin(Duration.ofSeconds(60), () -> fds(pid) <= baseline + 4);
        final int now = fds(pid);
        assertTrue(now <= baseline + 4, "descriptors back to " + now + " (baseline " + baseline + ")");
        System.out.printf(
                "4000 half-sent requests in %.1f s: daemon fds %d before, at most %d during, %d after;"
                        + " a create answered in %.0f ms meanwhile; a trickle closed after %.1f s%n",
                (asked - started) / 1e9, baseline, mostFds, now, answeredMillis, trickleSeconds);
    }

    private static int fds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return (int) fds.count();
        }
    }
}

package io.jvswitch.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/** The listeners against real loopback sockets: a TCP and a UDP echo server stand in for the container. */
class PortListenersTest {
    final PortListeners listeners = new PortListeners();

    @AfterEach
    void tearDown() {
        listeners.close();
    }

    @Test
    void relaysTcpBothWaysOnAPickedPort() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            final Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (Exception ignored) {
                    // the test fails on its own assertions
                }
            });
            final PortMapping mapping = listeners.open(
                    PortMapping.parse("127.0.0.1::" + echo.getLocalPort()).get(0), "127.0.0.1");
            assertNotEquals(0, mapping.hostPort());
            try (Socket client = new Socket("127.0.0.1", mapping.hostPort())) {
                client.setSoTimeout(5000);
                final byte[] sent = new byte[200_000];
                for (int i = 0; i < sent.length; i++) {
                    sent[i] = (byte) (i * 31);
                }
                final OutputStream out = client.getOutputStream();
                final Thread writer = Thread.ofVirtual().start(() -> {
                    try {
                        out.write(sent);
                        client.shutdownOutput();
                    } catch (Exception ignored) {
                        // the read below fails instead
                    }
                });
                final InputStream in = client.getInputStream();
                final byte[] received = in.readAllBytes();
                writer.join();
                assertEquals(sent.length, received.length);
                for (int i = 0; i < sent.length; i++) {
                    assertEquals(sent[i], received[i]);
                }
            }
            server.join(5000);
        }
    }

    @Test
    void portInUseIsAClearErrorAndLeavesNothingOpen() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            final IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> listeners.open(
                            PortMapping.parse("127.0.0.1:" + taken.getLocalPort() + ":80")
                                    .get(0),
                            "127.0.0.1"));
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
            assertTrue(listeners.open().isEmpty());
        }
    }

    @Test
    void relaysUdpPerClient() throws Exception {
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                DatagramSocket client =
                        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            final Thread server = Thread.ofVirtual().start(() -> {
                try {
                    final byte[] buf = new byte[1500];
                    final DatagramPacket p = new DatagramPacket(buf, buf.length);
                    echo.receive(p);
                    final String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                    final byte[] answer = ("echo " + text).getBytes(StandardCharsets.UTF_8);
                    echo.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                } catch (Exception ignored) {
                    // the client times out instead
                }
            });
            final PortMapping mapping = listeners.open(
                    PortMapping.parse("127.0.0.1::" + echo.getLocalPort() + "/udp")
                            .get(0),
                    "127.0.0.1");
            client.setSoTimeout(5000);
            final byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(hello, hello.length, InetAddress.getLoopbackAddress(), mapping.hostPort()));
            final byte[] buf = new byte[1500];
            final DatagramPacket reply = new DatagramPacket(buf, buf.length);
            client.receive(reply);
            assertEquals("echo hello", new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8));
            assertEquals(mapping.hostPort(), reply.getPort(), "the answer comes from the published port");
            server.join(5000);
        }
    }

    @Test
    void relaysABurstFromOneClientBothWays() throws Exception {
        final int burst = 100;
        try (DatagramSocket echo = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                DatagramSocket client =
                        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            final Thread server = Thread.ofVirtual().start(() -> {
                try {
                    final byte[] buf = new byte[1500];
                    for (int i = 0; i <= burst; i++) {
                        final DatagramPacket p = new DatagramPacket(buf, buf.length);
                        echo.receive(p);
                        echo.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                    }
                } catch (Exception ignored) {
                    // the client times out instead
                }
            });
            final PortMapping mapping = listeners.open(
                    PortMapping.parse("127.0.0.1::" + echo.getLocalPort() + "/udp")
                            .get(0),
                    "127.0.0.1");
            client.setSoTimeout(5000);
            final InetSocketAddress published =
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), mapping.hostPort());
            final byte[] buf = new byte[1500];
            // the first datagram opens the client's session; the burst then goes through it, flushed per read
            client.send(new DatagramPacket(new byte[] {'s'}, 1, published));
            client.receive(new DatagramPacket(buf, buf.length));
            for (int i = 0; i < burst; i++) {
                final byte[] data = ("d" + i).getBytes(StandardCharsets.UTF_8);
                client.send(new DatagramPacket(data, data.length, published));
            }
            final Set<String> answers = new HashSet<>();
            for (int i = 0; i < burst; i++) {
                final DatagramPacket reply = new DatagramPacket(buf, buf.length);
                client.receive(reply);
                answers.add(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8));
            }
            for (int i = 0; i < burst; i++) {
                assertTrue(answers.contains("d" + i), "no answer to d" + i);
            }
            server.join(5000);
        }
    }
}

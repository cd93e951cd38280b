package io.jvswitch.control.debug;

import io.jvswitch.control.capture.BpfFilter;
import io.jvswitch.switching.CaptureCounters;
import io.jvswitch.switching.Dataplane;
import io.jvswitch.switching.capture.CaptureRing;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Carries captured frames from the dataplane's capture ring to the clients that asked for them.
 * One thread drains the ring, applies each session's BPF filter and writes records to the
 * session's connection. A client that reads too slowly loses frames (counted), never the switch.
 */
public final class CaptureService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.capture");
    /** Bytes queued on a connection beyond which its frames are dropped rather than buffered. */
    private static final long MAX_PENDING_BYTES = 8L * 1024 * 1024;

    private final Dataplane dataplane;
    private final CaptureRing ring;
    private final IntFunction<String> portNames;
    private final ConcurrentHashMap<Integer, Session> sessions = new ConcurrentHashMap<>();
    private final Thread drainer;
    private volatile boolean running = true;
    /** Frames every session lost because its client read too slowly, since the daemon started. */
    private final AtomicLong totalClientDrops = new AtomicLong();

    private final ConcurrentLinkedQueue<Session> retired = new ConcurrentLinkedQueue<>();

    private byte[] scratch = new byte[64 * 1024];

    /** One client's capture: where its frames go and what it has lost. */
    static final class Session {
        final int id;
        final Channel channel;
        final BpfFilter filter;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong filtered = new AtomicLong();
        final AtomicLong writerDrops = new AtomicLong();
        volatile long lastStatusNanos = System.nanoTime();

        Session(int id, Channel channel, BpfFilter filter) {
            this.id = id;
            this.channel = channel;
            this.filter = filter;
        }
    }

    public CaptureService(Dataplane dataplane, IntFunction<String> portNames) {
        this.dataplane = dataplane;
        this.ring = dataplane.captureRing();
        this.portNames = portNames;
        this.drainer = new Thread(this::drainLoop, "jvs-capture");
        this.drainer.setDaemon(true);
        this.drainer.start();
    }

    /**
     * Starts copying frames for a new session; fails (changing nothing) when none can start. Frames
     * copied before {@link #attach} are skipped.
     */
    public int reserve(int networkId, int[] slots, int pointsMask, int snapLength) {
        if (ring == null) {
            throw new IllegalStateException("capture is disabled in this daemon");
        }
        return Dataplane.await(dataplane.startCapture(networkId, slots, pointsMask, snapLength));
    }

    /**
     * Streams a reserved session to {@code channel} until the channel closes. The filter (may be
     * null) is owned by the session from now on.
     */
    public void attach(int id, BpfFilter filter, Channel channel) {
        final Session session = new Session(id, channel, filter);
        sessions.put(id, session);
        channel.closeFuture().addListener(f -> stop(session));
        LOG.log(System.Logger.Level.INFO, "capture {0} started", id);
    }

    private void stop(Session session) {
        if (sessions.remove(session.id, session)) {
            final CaptureCounters counters = Dataplane.await(dataplane.stopCapture(session.id));
            // The drainer may be inside this session's filter: free it on the drainer thread's next pass.
            retired.add(session);
            LOG.log(
                    System.Logger.Level.INFO,
                    "capture {0} ended: {1} copied, {2} lost in the ring, {3} sent, "
                            + "{4} filtered out, {5} lost at the client",
                    session.id,
                    counters.captured(),
                    counters.ringDrops(),
                    session.sent.get(),
                    session.filtered.get(),
                    session.writerDrops.get());
        }
    }

    private void drainLoop() {
        final MessageHandler handler = this::onRecord;
        while (running) {
            int work = 0;
            if (ring != null) {
                work = ring.drain(handler, 256);
            }
            for (Session retiredSession; (retiredSession = retired.poll()) != null; ) {
                if (retiredSession.filter != null) {
                    retiredSession.filter.close();
                }
            }
            sendStatus();
            if (work == 0) {
                try {
                    Thread.sleep(sessions.isEmpty() ? 50 : 1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void onRecord(int sessionMask, MutableDirectBuffer buffer, int index, int length) {
        final int frameLength = length - CaptureRing.HEADER_LENGTH;
        if (scratch.length < frameLength) {
            scratch = new byte[Math.max(frameLength, scratch.length * 2)];
        }
        buffer.getBytes(index + CaptureRing.HEADER_LENGTH, scratch, 0, frameLength);
        final long epochNanos = buffer.getLong(index + CaptureRing.EPOCH_NANOS_OFFSET);
        final int slot = buffer.getInt(index + CaptureRing.SLOT_OFFSET);
        final int point = buffer.getByte(index + CaptureRing.POINT_OFFSET) & 0xFF;
        final int reason = buffer.getByte(index + CaptureRing.REASON_OFFSET) & 0xFF;
        final int originalLength = buffer.getInt(index + CaptureRing.ORIGINAL_LENGTH_OFFSET);
        byte[] portName = null;
        for (int m = sessionMask; m != 0; m &= m - 1) {
            final Session session = sessions.get(Integer.numberOfTrailingZeros(m));
            if (session == null) {
                continue;
            }
            if (session.filter != null && !session.filter.matches(scratch, frameLength)) {
                session.filtered.incrementAndGet();
                continue;
            }
            final Channel channel = session.channel;
            if (!channel.isActive()
                    || channel.unsafe().outboundBuffer() == null
                    || channel.unsafe().outboundBuffer().totalPendingWriteBytes() > MAX_PENDING_BYTES) {
                session.writerDrops.incrementAndGet();
                totalClientDrops.incrementAndGet();
                continue;
            }
            if (portName == null) {
                final String name = portNames.apply(slot);
                portName = (name == null ? "?" : name).getBytes(StandardCharsets.UTF_8);
            }
            final ByteBuf out = channel.alloc().buffer(32 + portName.length + frameLength);
            CaptureStreamFormat.writeFrame(
                    out, epochNanos, point, reason, portName, originalLength, ByteBuffer.wrap(scratch, 0, frameLength));
            channel.writeAndFlush(new DefaultHttpContent(out));
            session.sent.incrementAndGet();
        }
    }

    /** About once a second, each client learns what its capture has copied and lost so far. */
    private void sendStatus() {
        final long now = System.nanoTime();
        for (Session session : sessions.values()) {
            if (now - session.lastStatusNanos >= TimeUnit.SECONDS.toNanos(1) && session.channel.isActive()) {
                session.lastStatusNanos = now;
                final CaptureCounters counters;
                try {
                    counters = dataplane.captureCounters(session.id).get(1, TimeUnit.SECONDS);
                } catch (Exception e) {
                    continue;
                }
                final ByteBuf out = session.channel.alloc().buffer();
                CaptureStreamFormat.writeText(
                        out,
                        CaptureStreamFormat.STATUS,
                        String.format(
                                "{\"copied\":%d,\"ringDrops\":%d,\"sent\":%d,\"filtered\":%d,\"clientDrops\":%d}",
                                counters.captured(),
                                counters.ringDrops(),
                                session.sent.get(),
                                session.filtered.get(),
                                session.writerDrops.get()));
                session.channel.writeAndFlush(new DefaultHttpContent(out));
            }
        }
    }

    public long totalClientDrops() {
        return totalClientDrops.get();
    }

    @Override
    public void close() {
        running = false;
        drainer.interrupt();
        sessions.values().forEach(s -> s.channel.close());
    }
}

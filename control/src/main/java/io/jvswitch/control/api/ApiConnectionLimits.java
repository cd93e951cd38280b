package io.jvswitch.control.api;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds what clients of the API socket can hold: at most {@code maxConnections} open at once, and
 * each must have sent its whole request (headers and body) within {@code requestDeadlineMillis} of
 * connecting. The deadline is absolute, not an idle timer, so a byte now and then does not keep a
 * connection. At the cap, the connection that has waited longest for its request is closed to make
 * room (a client that sends its request at once is never the oldest for long); only when every
 * connection has sent its request (answers being computed, captures streaming) is the newcomer
 * refused. Called on the API's one event loop thread; synchronized all the same, it is cheap here.
 */
final class ApiConnectionLimits {
    /** Whether a channel is counted among the open connections (false once counted out). */
    private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf(ApiConnectionLimits.class, "counted");

    private final int maxConnections;
    private final long requestDeadlineMillis;
    /** Connections still sending their request, oldest first, with their deadline timers. */
    private final Map<Channel, ScheduledFuture<?>> awaitingRequest = new LinkedHashMap<>();

    private final AtomicLong evicted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private int open;

    ApiConnectionLimits(int maxConnections, long requestDeadlineMillis) {
        if (maxConnections < 1 || requestDeadlineMillis < 1) {
            throw new IllegalArgumentException("a cap of at least one connection and a deadline of at least 1 ms");
        }
        this.maxConnections = maxConnections;
        this.requestDeadlineMillis = requestDeadlineMillis;
    }

    /** A new connection: admitted (possibly closing the oldest still-unsent one), or closed. */
    synchronized void admit(Channel channel) {
        if (open >= maxConnections) {
            final Iterator<Map.Entry<Channel, ScheduledFuture<?>>> oldest =
                    awaitingRequest.entrySet().iterator();
            if (!oldest.hasNext()) {
                refused.incrementAndGet();
                channel.close();
                return;
            }
            final Map.Entry<Channel, ScheduledFuture<?>> victim = oldest.next();
            oldest.remove();
            victim.getValue().cancel(false);
            open--; // counted out now: its close completes later, on this loop
            evicted.incrementAndGet();
            victim.getKey().attr(COUNTED).set(Boolean.FALSE);
            victim.getKey().close();
        }
        open++;
        channel.attr(COUNTED).set(Boolean.TRUE);
        final ScheduledFuture<?> deadline = channel.eventLoop()
                .schedule(() -> deadlinePassed(channel), requestDeadlineMillis, TimeUnit.MILLISECONDS);
        awaitingRequest.put(channel, deadline);
        channel.closeFuture().addListener(f -> closed(channel));
    }

    /** The whole request arrived: the deadline no longer applies and the connection cannot be evicted. */
    synchronized void requestReceived(Channel channel) {
        final ScheduledFuture<?> deadline = awaitingRequest.remove(channel);
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    private synchronized void deadlinePassed(Channel channel) {
        if (awaitingRequest.remove(channel) != null) {
            timedOut.incrementAndGet();
            channel.close();
        }
    }

    private synchronized void closed(Channel channel) {
        final ScheduledFuture<?> deadline = awaitingRequest.remove(channel);
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (Boolean.TRUE.equals(channel.attr(COUNTED).getAndSet(Boolean.FALSE))) {
            open--;
        }
    }

    synchronized int open() {
        return open;
    }

    /** Unsent connections closed to make room for new ones. */
    long evicted() {
        return evicted.get();
    }

    /** New connections closed because every open one had sent its request. */
    long refused() {
        return refused.get();
    }

    /** Connections closed because their request was not complete by the deadline. */
    long timedOut() {
        return timedOut.get();
    }
}

package io.jvswitch.control.cli;

import io.jvswitch.control.api.ApiClient;
import io.jvswitch.control.capture.CapturedFrame;
import io.jvswitch.control.debug.CaptureStreamFormat;
import io.jvswitch.switching.DropReason;
import io.jvswitch.switching.capture.CapturePoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Receives a capture stream from the daemon and hands each frame to a {@link Listener}, until the
 * listener says it has enough, the daemon ends the stream, or {@link #stop()} is called.
 */
final class CaptureStream {
    interface Listener {
        /**
         * The daemon accepted the request: frames follow. Called once, before any frame; returns
         * null to go on, else why the capture cannot go on (it then ends with that reason).
         */
        String started();

        /** Returns false to end the capture. */
        boolean frame(CapturedFrame frame) throws Exception;

        void status(String json);
    }

    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** When the last frame arrived; a stop waits for the stream to go quiet. */
    private volatile long lastFrameNanos = System.nanoTime();

    private final Path socket;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private volatile Channel channel;

    CaptureStream(Path socket) {
        this.socket = socket;
    }

    /** Sends the request and streams until the end; returns null on a normal end, else the reason. */
    String run(byte[] request, Listener listener) throws InterruptedException {
        new ApiClient(socket).checkReachable();
        try {
            channel = new Bootstrap()
                    .group(group)
                    .channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new Decoder(listener));
                        }
                    })
                    .connect(new DomainSocketAddress(socket.toFile()))
                    .sync()
                    .channel();
            final DefaultFullHttpRequest http = new DefaultFullHttpRequest(
                    HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/captures", Unpooled.wrappedBuffer(request));
            http.headers()
                    .set(HttpHeaderNames.HOST, "jvs")
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, request.length);
            channel.writeAndFlush(http);
            channel.closeFuture().addListener(f -> ended.complete(null));
            return ended.get();
        } catch (ExecutionException e) {
            return e.getCause().getMessage();
        } catch (Exception e) {
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            return "cannot reach the jvs daemon at " + socket + ": " + e.getMessage();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    /**
     * Ends the capture. Frames the switch copied just before are still on their way through the
     * daemon's ring and the socket: like tcpdump on Ctrl-C, take what arrives until the stream has
     * been quiet for 100 ms since the stop (at most 1 s). Then end our side only: the daemon sees
     * the end, stops the session and closes, and what it sent before is read to the end (at most
     * 3 s more) instead of being thrown away with a socket closed under it, as a slow client on a
     * loaded machine would otherwise lose it.
     */
    void stop() {
        final long stopAt = System.nanoTime();
        final long deadline = stopAt + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() - Math.max(lastFrameNanos, stopAt) < QUIET_NANOS
                && System.nanoTime() < deadline
                && !ended.isDone()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        final Channel c = channel;
        if (c instanceof DuplexChannel duplex && c.isActive()) {
            duplex.shutdownOutput().awaitUninterruptibly(1, TimeUnit.SECONDS);
            try {
                ended.get(3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // the daemon did not end the stream in time: close it from here
            }
        }
        if (c != null) {
            c.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        ended.complete(null);
    }

    private final class Decoder extends SimpleChannelInboundHandler<HttpObject> {
        private final Listener listener;
        private final ByteBuf pending = Unpooled.buffer();
        private boolean streaming;

        Decoder(Listener listener) {
            this.listener = listener;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) throws Exception {
            if (msg instanceof HttpResponse response) {
                streaming = response.status().code() == 200;
                if (streaming) {
                    final String problem = listener.started();
                    if (problem != null) {
                        streaming = false;
                        ended.complete(problem);
                        ctx.close();
                        return;
                    }
                }
            }
            if (msg instanceof HttpContent content) {
                pending.writeBytes(content.content());
                if (!streaming) {
                    if (msg instanceof LastHttpContent) {
                        final String body = pending.toString(StandardCharsets.UTF_8);
                        final String error =
                                ApiCall.JSON.readTree(body).path("error").asText(body);
                        ended.complete(error);
                        ctx.close();
                    }
                    return;
                }
                decode(ctx);
            }
        }

        private void decode(ChannelHandlerContext ctx) throws Exception {
            while (pending.readableBytes() >= 4) {
                final int length = pending.getInt(pending.readerIndex());
                if (length < 1 || length > CaptureStreamFormat.MAX_RECORD) {
                    ended.complete("the daemon sent a broken capture stream");
                    ctx.close();
                    return;
                }
                if (pending.readableBytes() < 4 + length) {
                    break;
                }
                pending.skipBytes(4);
                final int type = pending.readUnsignedByte();
                if (type == CaptureStreamFormat.FRAME) {
                    final long epochNanos = pending.readLong();
                    final int point = pending.readUnsignedByte();
                    final int reason = pending.readUnsignedByte();
                    final int nameLength = pending.readUnsignedShort();
                    final int originalLength = pending.readInt();
                    final String port = pending.readCharSequence(nameLength, StandardCharsets.UTF_8)
                            .toString();
                    final byte[] data = new byte[length - 1 - CaptureStreamFormat.FRAME_FIXED - nameLength];
                    pending.readBytes(data);
                    final CapturePoint p = CapturePoint.ofOrdinal(point);
                    final String dropReason =
                            reason == 0xFF ? null : DropReason.ofOrdinal(reason).label();
                    lastFrameNanos = System.nanoTime();
                    if (!listener.frame(
                            new CapturedFrame(epochNanos, port, p.label(), dropReason, originalLength, data))) {
                        ctx.close();
                        return;
                    }
                } else {
                    final String text = pending.readCharSequence(length - 1, StandardCharsets.UTF_8)
                            .toString();
                    if (type == CaptureStreamFormat.STATUS) {
                        listener.status(text);
                    } else {
                        ended.complete(text);
                        ctx.close();
                        return;
                    }
                }
            }
            pending.discardReadBytes();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            pending.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ended.complete(cause.getMessage());
            ctx.close();
        }
    }
}

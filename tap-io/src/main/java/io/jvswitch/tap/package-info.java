/**
 * TAP devices for the switch, through FFM ({@code java.lang.foreign}) bindings to libc: no JNI, no
 * native build step.
 *
 * <ul>
 *   <li>{@link io.jvswitch.tap.TapDevice}: open {@code /dev/net/tun} with
 *       {@code IFF_TAP | IFF_NO_PI | IFF_VNET_HDR}, a 10-byte virtio-net header, optional offloads,
 *       persistence; allocation-free {@code read}/{@code write} by raw address.</li>
 *   <li>{@link io.jvswitch.tap.TapPort}: the switch's {@code Port} over a device, mapping errno values
 *       to the SPI's result codes.</li>
 *   <li>{@link io.jvswitch.tap.EpollReadySet}: the switch's {@code ReadySet} as one epoll instance.</li>
 *   <li>{@link io.jvswitch.tap.NetworkNamespace}: run code inside another network namespace on a
 *       dedicated thread (setns is per OS thread).</li>
 *   <li>{@link io.jvswitch.tap.TapException}, {@link io.jvswitch.tap.Errno}: setup errors that say
 *       what went wrong and what to do.</li>
 * </ul>
 */
package io.jvswitch.tap;

package io.jvswitch.control.service;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.jvswitch.vtep.VtepCounters;

import java.util.List;
import java.util.Map;

/** The VXLAN side of an overlay network, with live counters, as {@code jvs network inspect} shows it. */
@JsonPropertyOrder({"VNI", "Local", "Port", "TTL", "State", "SourcePorts", "Counters", "UnderlayDrops", "Peers"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OverlayView(
        @JsonProperty("VNI") int vni,
        @JsonProperty("Local") String local,
        @JsonProperty("Port") int port,
        @JsonProperty("TTL") int ttl,
        @JsonProperty("State") String state,
        @JsonProperty("SourcePorts") List<Integer> sourcePorts,
        @JsonProperty("Counters") Counters counters,
        @JsonProperty("UnderlayDrops") Map<String, Long> underlayDrops,
        @JsonProperty("Peers") List<PeerView> peers) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PeerView(
            @JsonProperty("Address") String address,
            @JsonProperty("Counters") Counters counters) {}

    public record Counters(
            @JsonProperty("TxFrames") long txFrames,
            @JsonProperty("TxBytes") long txBytes,
            @JsonProperty("RxFrames") long rxFrames,
            @JsonProperty("RxBytes") long rxBytes,
            @JsonProperty("RxSuperFrames") long rxSuperFrames,
            @JsonProperty("RxCoalescedSegments") long rxCoalescedSegments,
            @JsonProperty("RxPartialChecksums") long rxPartialChecksums,
            @JsonProperty("RxOuterChecksummed") long rxOuterChecksummed,
            @JsonProperty("RxOuterChecksumNotSeen") long rxOuterChecksumNotSeen,
            @JsonProperty("Drops") Map<String, Long> drops) {
        public static Counters of(VtepCounters c) {
            return new Counters(
                    c.txFrames(),
                    c.txBytes(),
                    c.rxFrames(),
                    c.rxBytes(),
                    c.superFrames(),
                    c.coalescedSegments(),
                    c.partialChecksums(),
                    c.rxOuterChecksummed(),
                    c.rxOuterChecksumNotSeen(),
                    c.dropsByReason());
        }
    }
}

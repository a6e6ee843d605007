/*
 * bp_steer.bpf.c - the XDP program of the xdp transport: the NIC-side steering. For every
 * frame that arrives on the interface it decides, before the kernel's network stack sees
 * it, where it goes:
 *   not bypass's EtherType            -> XDP_PASS: the kernel's stack, untouched
 *   shorter than bypass's header      -> dropped, counted
 *   another job's key                 -> XDP_PASS (counted): another bypass job's program,
 *                                        chained by libxdp, may own it; the kernel has no
 *                                        handler for the EtherType and discards it
 *   this job, another version         -> dropped, counted
 *   this job, no socket for the rank  -> answered NOEP (XDP_TX back to the sender), counted
 *   this job, PROBE                   -> answered ALIVE (XDP_TX), counted
 *   otherwise                         -> redirected into the rank's AF_XDP socket
 * Answering for the receiver (its process may be busy computing and not poll for seconds)
 * lets a sender tell a dead peer (its socket is gone) from a slow one, fast and without
 * guessing from timeouts.
 * Built with clang -target bpf at build time and embedded in the library.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdp_proto.h"

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, BPI_XDP_MAX_RANKS);
    __type(key, __u32);
    __type(value, __u32);
} bp_xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, bpi_xdp_cfg_t);
} bp_cfg SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, BPI_XDP_NCNT);
    __type(key, __u32);
    __type(value, __u64);
} bp_counters SEC(".maps");

static __always_inline int count(__u32 reason, int action)
{
    __u64 *c = bpf_map_lookup_elem(&bp_counters, &reason);

    if (c) {
        __sync_fetch_and_add(c, 1);
    }
    return action;
}

/* Send the frame back to its sender as ALIVE or NOEP (only the headers matter). */
static __always_inline int answer(struct ethhdr *eth, bpi_xdp_hdr_t *hdr)
{
    unsigned char mac[ETH_ALEN];
    __u32 rank = hdr->dst;
    int alive = bpf_map_lookup_elem(&bp_xsks, &rank) != 0;

    __builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, mac, ETH_ALEN);
    hdr->dst = hdr->src;
    hdr->src = rank;
    hdr->kind = alive ? BPI_XDP_KIND_ALIVE : BPI_XDP_KIND_NOEP;
    hdr->len = 0;
    return count(alive ? BPI_XDP_CNT_PROBE : BPI_XDP_CNT_NO_EP, XDP_TX);
}

SEC("xdp.frags") /* frames of several buffers too (jumbo MTUs, XDP_USE_SG) */
int bp_steer(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    bpi_xdp_hdr_t *hdr;
    bpi_xdp_cfg_t *cfg;
    __u32 zero = 0;

    if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(BPI_XDP_ETHERTYPE)) {
        return XDP_PASS;
    }
    hdr = (void *)(eth + 1);
    if ((void *)(hdr + 1) > data_end) {
        return count(BPI_XDP_CNT_SHORT, XDP_DROP);
    }
    cfg = bpf_map_lookup_elem(&bp_cfg, &zero);
    if (!cfg || hdr->jobkey != cfg->jobkey) {
        return count(BPI_XDP_CNT_FOREIGN, XDP_PASS);
    }
    if (hdr->version != cfg->version) {
        return count(BPI_XDP_CNT_VERSION, XDP_DROP);
    }
    if (cfg->drop_ppm && bpf_get_prandom_u32() % 1000000 < cfg->drop_ppm) {
        return count(BPI_XDP_CNT_TEST_DROP, XDP_DROP);
    }
    if (hdr->kind == BPI_XDP_KIND_PROBE || !bpf_map_lookup_elem(&bp_xsks, &hdr->dst)) {
        return answer(eth, hdr);
    }
    count(BPI_XDP_CNT_REDIRECT, 0);
    return bpf_redirect_map(&bp_xsks, hdr->dst, XDP_DROP);
}

char _license[] SEC("license") = "GPL";

/*
 * xdp_proto.h - what the XDP steering program and the xdp transport agree on: the frame
 * header that follows the Ethernet header, the configuration map and the drop counters.
 * Included by the BPF program (bp_steer.bpf.c, built with clang -target bpf) and by the
 * user-space transport, so it uses only fixed-width kernel types.
 *
 * A frame on the wire:
 *   Ethernet header (14 B, EtherType BPI_XDP_ETHERTYPE)
 *   bpi_xdp_hdr_t   (32 B): job key, version, receiver and sender, sequence, ack
 *   DATA frames only: bpi_wire_hdr_t (32 B) and its payload, as on every transport
 * Fields are in the byte order of the hosts (a job's hosts share one architecture).
 */
#ifndef BPI_XDP_PROTO_H
#define BPI_XDP_PROTO_H

#include <linux/types.h>

/*
 * IEEE 802 "Local Experimental EtherType 1": a frame type of our own rather than UDP, so
 * the steering program parses one header, not three, and no IP address is needed. A
 * capture shows the frames with `tcpdump ether proto 0x88b5`.
 */
#define BPI_XDP_ETHERTYPE 0x88B5
#define BPI_XDP_VERSION 1

enum {
    BPI_XDP_KIND_DATA = 1, /* carries a core frame; has a sequence number */
    BPI_XDP_KIND_ACK = 2,  /* acknowledgement only */
    BPI_XDP_KIND_PROBE = 3, /* is the receiver's socket still there? answered by the
                               receiving host's steering program itself (XDP_TX), so a
                               peer that is alive but busy is never taken for dead */
    BPI_XDP_KIND_ALIVE = 4, /* answer to PROBE: the socket is there */
    BPI_XDP_KIND_NOEP = 5,  /* answer to PROBE or DATA: no socket for that rank (its
                               process is gone) */
};

#define BPI_XDP_F_NACK 0x1 /* ACK: a gap was seen; resend from `ack` now */

typedef struct bpi_xdp_hdr {
    __u64 jobkey;
    __u16 version;
    __u8 kind;
    __u8 flags;
    __u32 dst; /* the receiver's rank: the key of its socket in the XSKMAP */
    __u32 src; /* the sender's rank */
    __u32 seq; /* DATA: this frame's sequence number on the src->dst stream */
    __u32 ack; /* the next sequence number src expects on the dst->src stream */
    __u32 len; /* bytes after this header */
} bpi_xdp_hdr_t;

/* The program's configuration: one entry, written by the process that loads it. */
typedef struct bpi_xdp_cfg {
    __u64 jobkey;
    __u32 version;
    __u32 drop_ppm; /* tests only: drop this many of every million bypass frames */
    __u32 owner_pid; /* the process that loaded the program (stale-program detection) */
    __u32 reserved;
    __u64 owner_start; /* its start time (clock ticks since boot): pids are reused */
} bpi_xdp_cfg_t;

/* Why the program did what it did with a bypass frame: counters, one per reason. */
enum {
    BPI_XDP_CNT_REDIRECT = 0, /* handed to the endpoint's socket */
    BPI_XDP_CNT_FOREIGN,      /* another job's key: passed on (other jobs' programs), untouched */
    BPI_XDP_CNT_VERSION,      /* this job's key, another protocol version: dropped */
    BPI_XDP_CNT_NO_EP,        /* no socket for that rank here: answered NOEP */
    BPI_XDP_CNT_PROBE,        /* PROBE answered (ALIVE) */
    BPI_XDP_CNT_SHORT,        /* shorter than the header: dropped */
    BPI_XDP_CNT_TEST_DROP,    /* dropped on purpose (drop_ppm, tests) */
    BPI_XDP_NCNT
};

#define BPI_XDP_CNT_NAMES                                                                  \
    { "redirected", "foreign-job", "bad-version", "no-endpoint", "probe-answered", "truncated", "test-drop" }

#define BPI_XDP_MAX_RANKS 4096 /* XSKMAP size: ranks of one job that may use xdp */

#endif

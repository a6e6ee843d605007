/*
 * wire.h - the one header every frame carries, on every transport, and the business card.
 * Changing either changes BPI_WIRE_VERSION: peers with different versions refuse each other
 * at bp_init (both sides, naming both versions), nothing is ever guessed.
 */
#ifndef BPI_WIRE_H
#define BPI_WIRE_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define BPI_WIRE_VERSION 3
#define BPI_WIRE_MAGIC 0x42595041u /* "BYPA" */

/* Frame types. */
enum {
    BPI_WIRE_EAGER = 1, /* first (often only) frame of a message: tag and full length */
    BPI_WIRE_FRAG = 2,  /* a following frame of the same message, in order */
    BPI_WIRE_TL = 3,    /* private to the transport that sent it; never reaches the core */
    /* rendezvous (src/core/rndv.c) */
    BPI_WIRE_RTS = 4,   /* ready to send: tag, msg_len; payload bpi_wire_rts_t */
    BPI_WIRE_CTS = 5,   /* clear to send (stream the data): tag = sender's id, msg_len =
                           receiver's id */
    BPI_WIRE_FIN = 6,   /* the receiver has the data: tag = sender's id, msg_len = status */
    BPI_WIRE_RDATA = 7, /* streamed data: tag = receiver's id, msg_len = offset */
    BPI_WIRE_COOP = 8,  /* copy the first half yourself: tag = sender's id, msg_len =
                           receiver's id; payload bpi_wire_coop_t */
    BPI_WIRE_WDONE = 9, /* the sender's half is written: tag = receiver's id, msg_len =
                           status */
};

/* The payload of a COOP: where the sender writes its half. */
typedef struct bpi_wire_coop {
    uint64_t addr; /* the receive buffer, in the receiver's address space */
    uint64_t len;  /* bytes from its start that the sender writes */
} bpi_wire_coop_t;

/* The payload of an RTS: where the sender's data is, and the sender's id for the message. */
typedef struct bpi_wire_rts {
    uint64_t sender_id;
    uint64_t addr; /* the data's address in the sender's address space (for a bulk get) */
} bpi_wire_rts_t;

/* Flags. */
#define BPI_WIRE_F_INTERNAL 0x1u /* the core's own traffic (barrier): never matches a user
                                    receive, whatever its tag mask */

typedef struct bpi_wire_hdr {
    uint8_t type;
    uint8_t flags;
    uint16_t tl_op;     /* BPI_WIRE_TL: the transport's own opcode */
    uint32_t src;       /* the sender's rank */
    uint32_t frame_len; /* payload bytes following this header */
    uint32_t reserved;
    uint64_t tag;     /* EAGER: the message's tag; TL: the transport's argument */
    uint64_t msg_len; /* EAGER: the whole message's length */
} bpi_wire_hdr_t;

static_assert(sizeof(bpi_wire_hdr_t) == 32, "wire header is 32 bytes");

/* The largest RDATA frame sent through a transport's send_part (transport.h): its receiver
 * reads the payload straight into the receive buffer (params.place), so the frame need not
 * fit the transport's own buffers. One system call each way moves up to this much. */
#define BPI_WIRE_PLACED_MAX (1u << 20)

/*
 * For a transport whose bytes come from an untrusted wire (tcp, xdp; not shm, whose frames
 * are written by processes of the same job and user): does a header hold what the core
 * takes for granted of every frame it is given? Its sender is the connection's peer (so a
 * valid rank) and its payload fits the transport's largest frame. Everything else in a
 * header the core checks itself, on its slow paths (fuzz/fuzz_frames.c drives both).
 */
static inline int bpi_wire_hdr_ok(const bpi_wire_hdr_t *hdr, uint32_t peer, uint32_t max_frame)
{
    return hdr->frame_len <= max_frame && hdr->src == peer;
}

/*
 * The business card: what every rank publishes through the bootstrap and checks of every
 * peer, in two rounds: first the header (magic and version first, so that a peer of another
 * version is recognised before anything else is read, and before any transport is opened),
 * then the transport addresses, one block per transport.
 */
#define BPI_CARD_ADDR_SIZE 512 /* round two: one rank's transport blocks */
#define BPI_CARD_TL_NAME 8

/* Feature bits: what this rank can do, checked where peers must agree. */
#define BPI_FEATURE_SHM 0x1ull

typedef struct bpi_card_hdr {
    uint32_t magic;
    uint32_t version;
    uint64_t features;
    uint64_t jobkey;
    int32_t rank;
    uint32_t ntl;      /* transport blocks that follow */
    uint32_t progress; /* requested progress mode (BP_PROGRESS), resolved job-wide */
    uint32_t reserved;
    uint64_t host_id;  /* same value <=> same host (hostname, boot id, network namespace) */
    uint64_t cpus[4];  /* the CPUs this rank may run on (first 256), for progress=auto */
    char host[64];
} bpi_card_hdr_t;

typedef struct bpi_card_tl {
    char name[BPI_CARD_TL_NAME];
    uint32_t len; /* bytes of address that follow, padded to 8 */
    uint32_t reserved;
} bpi_card_tl_t;

static_assert(sizeof(bpi_card_hdr_t) == 144, "card header layout");

#endif

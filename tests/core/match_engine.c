/*
 * match_engine.c - the matching engine of src/core/match.c, driven without any transport:
 * a hand-built context, frames fed straight into bpi_core_recv_cb as a transport would, and
 * receives posted with bpi_irecv. Each function is one case of MPI matching; the malformed
 * frames case makes the library log one line per dropped frame on stderr, as it should.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "transport/wire.h"
#include "unit.h"

#define NRANKS 4
#define GUARD 0xa5

static bp_context_t *ctx_new(void)
{
    bp_context_t *ctx = calloc(1, sizeof(*ctx));

    UNIT_CHECK_NOT_NULL(ctx);
    ctx->rank = 0;
    ctx->size = NRANKS;
    bpi_list_init(&ctx->posted);
    bpi_list_init(&ctx->unexp);
    bpi_list_init(&ctx->sendq_peers);
    bpi_list_init(&ctx->req_free);
    bpi_list_init(&ctx->unexp_free);
    ctx->peers = calloc(NRANKS, sizeof(*ctx->peers));
    UNIT_CHECK_NOT_NULL(ctx->peers);
    for (int i = 0; i < NRANKS; i++) {
        bpi_list_init(&ctx->peers[i].sendq);
        bpi_list_init(&ctx->peers[i].sendq_link);
    }
    return ctx;
}

static void ctx_free(bp_context_t *ctx)
{
    bpi_req_pool_free(ctx);
    bpi_unexp_pool_free(ctx);
    free(ctx->peers);
    free(ctx);
}

static size_t list_len(const bpi_list_t *head)
{
    size_t n = 0;

    for (const bpi_list_t *p = head->next; p != head; p = p->next) {
        n++;
    }
    return n;
}

static void frame(bp_context_t *ctx, uint8_t type, uint8_t flags, uint32_t src, uint64_t tag,
                  uint64_t msg_len, const void *payload, uint32_t frame_len)
{
    bpi_wire_hdr_t hdr;

    memset(&hdr, 0, sizeof(hdr));
    hdr.type = type;
    hdr.flags = flags;
    hdr.src = src;
    hdr.frame_len = frame_len;
    hdr.tag = tag;
    hdr.msg_len = msg_len;
    bpi_core_recv_cb(ctx, &hdr, payload);
}

static void eager(bp_context_t *ctx, uint32_t src, uint64_t tag, uint64_t msg_len,
                  const void *payload, uint32_t frame_len)
{
    frame(ctx, BPI_WIRE_EAGER, 0, src, tag, msg_len, payload, frame_len);
}

static void frag(bp_context_t *ctx, uint32_t src, const void *payload, uint32_t frame_len)
{
    frame(ctx, BPI_WIRE_FRAG, 0, src, 0, 0, payload, frame_len);
}

/* A whole one-frame user message. */
static void msg(bp_context_t *ctx, uint32_t src, uint64_t tag, const char *text)
{
    eager(ctx, src, tag, strlen(text), text, (uint32_t)strlen(text));
}

static bp_request_t *post(bp_context_t *ctx, void *buf, size_t len, int src, uint64_t tag,
                          uint64_t ignore)
{
    bp_request_t *req = NULL;

    UNIT_CHECK_EQ(bpi_irecv(ctx, buf, len, src, tag, ignore, 0, &req), BP_OK);
    UNIT_CHECK_NOT_NULL(req);
    return req;
}

static void check_pending(const bp_request_t *req)
{
    UNIT_CHECK_EQ(req->done, 0);
    UNIT_CHECK_EQ(req->status, BP_INPROGRESS);
}

static void check_done(const bp_request_t *req, bp_status_t status, int source, uint64_t tag,
                       size_t msg_len)
{
    UNIT_CHECK_EQ(req->done, 1);
    UNIT_CHECK_EQ(req->status, status);
    UNIT_CHECK_EQ(req->source, source);
    UNIT_CHECK_EQ_U(req->rtag, tag);
    UNIT_CHECK_EQ_U(req->msg_len, msg_len);
}

static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (char)(seed * 31u + i * 7u + (i >> 8));
    }
}

static void match_posted_then_arrive(void)
{
    bp_context_t *ctx = ctx_new();
    char buf[16] = {0};
    bp_request_t *req = post(ctx, buf, sizeof(buf), 1, 7, 0);

    check_pending(req);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 1);

    /* wrong source, then wrong tag: neither matches, both wait as unexpected */
    msg(ctx, 2, 7, "other");
    msg(ctx, 1, 8, "other");
    check_pending(req);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 2);

    msg(ctx, 1, 7, "hello");
    check_done(req, BP_OK, 1, 7, 5);
    UNIT_CHECK_MEM_EQ(buf, "hello", 5);
    UNIT_CHECK_EQ(buf[5], 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 0);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 2);
    ctx_free(ctx);
}

static void match_arrive_then_post(void)
{
    bp_context_t *ctx = ctx_new();
    char buf[16] = {0};
    bp_request_t *req;

    msg(ctx, 3, 42, "early bird");
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 1);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 0);

    req = post(ctx, buf, sizeof(buf), 3, 42, 0);
    check_done(req, BP_OK, 3, 42, 10);
    UNIT_CHECK_MEM_EQ(buf, "early bird", 10);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 0);

    /* a zero-length message too */
    eager(ctx, 2, 5, 0, "", 0);
    req = post(ctx, buf, sizeof(buf), 2, 5, 0);
    check_done(req, BP_OK, 2, 5, 0);
    ctx_free(ctx);
}

static void match_any_source(void)
{
    bp_context_t *ctx = ctx_new();
    char b1[8] = {0}, b2[8] = {0}, b3[8] = {0};
    bp_request_t *r1, *r2, *r3;

    /* posted first: the first arrival of that tag, whoever sends it */
    r1 = post(ctx, b1, sizeof(b1), BP_ANY_SOURCE, 9, 0);
    msg(ctx, 2, 9, "two");
    check_done(r1, BP_OK, 2, 9, 3);
    UNIT_CHECK_MEM_EQ(b1, "two", 3);

    /* unexpected first: arrival order across senders, our own rank included */
    msg(ctx, 3, 9, "three");
    msg(ctx, 1, 9, "one");
    msg(ctx, 0, 9, "zero");
    r2 = post(ctx, b2, sizeof(b2), BP_ANY_SOURCE, 9, 0);
    check_done(r2, BP_OK, 3, 9, 5);
    UNIT_CHECK_MEM_EQ(b2, "three", 5);
    r2 = post(ctx, b2, sizeof(b2), BP_ANY_SOURCE, 9, 0);
    check_done(r2, BP_OK, 1, 9, 3);
    UNIT_CHECK_MEM_EQ(b2, "one", 3);
    r3 = post(ctx, b3, sizeof(b3), BP_ANY_SOURCE, 9, 0);
    check_done(r3, BP_OK, 0, 9, 4);
    UNIT_CHECK_MEM_EQ(b3, "zero", 4);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    ctx_free(ctx);
}

static void match_tag_ignore_mask(void)
{
    bp_context_t *ctx = ctx_new();
    char buf[8] = {0};
    bp_request_t *req;

    /* posted: tag 0x1200 with the low byte ignored */
    req = post(ctx, buf, sizeof(buf), 1, 0x1200, 0xff);
    msg(ctx, 1, 0x1300, "no"); /* a bit outside the mask differs */
    msg(ctx, 1, 0x11ff, "no");
    check_pending(req);
    msg(ctx, 1, 0x12ab, "yes");
    check_done(req, BP_OK, 1, 0x12ab, 3);
    UNIT_CHECK_MEM_EQ(buf, "yes", 3);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 2);

    /* unexpected: the mask is applied the same way at posting */
    req = post(ctx, buf, sizeof(buf), 1, 0x1000, 0x0fff);
    check_done(req, BP_OK, 1, 0x1300, 2); /* the first of the two, 0x1300 */
    req = post(ctx, buf, sizeof(buf), 1, 0x1100, 0x00ff);
    check_done(req, BP_OK, 1, 0x11ff, 2);

    /* high bits count too, and BP_ANY_TAG ignores them all */
    msg(ctx, 1, 0x8000000000000012ull, "hi");
    req = post(ctx, buf, sizeof(buf), 1, 0x12, 0xff);
    check_pending(req);
    req = post(ctx, buf, sizeof(buf), 1, 0, BP_ANY_TAG);
    check_done(req, BP_OK, 1, 0x8000000000000012ull, 2);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 1);
    ctx_free(ctx);
}

/* Messages of one sender that match the same receive are received in the order sent. */
static void match_same_sender_in_order(void)
{
    bp_context_t *ctx = ctx_new();
    char b1[8] = {0}, b2[8] = {0};
    bp_request_t *r1, *r2;

    /* two unexpected arrivals, then two any-tag receives */
    msg(ctx, 2, 100, "first");
    msg(ctx, 2, 5, "second");
    r1 = post(ctx, b1, sizeof(b1), 2, 0, BP_ANY_TAG);
    r2 = post(ctx, b2, sizeof(b2), 2, 0, BP_ANY_TAG);
    check_done(r1, BP_OK, 2, 100, 5);
    check_done(r2, BP_OK, 2, 5, 6);
    UNIT_CHECK_MEM_EQ(b1, "first", 5);
    UNIT_CHECK_MEM_EQ(b2, "second", 6);

    /* two any-tag receives (one any-source), then two arrivals */
    memset(b1, 0, sizeof(b1));
    memset(b2, 0, sizeof(b2));
    r1 = post(ctx, b1, sizeof(b1), BP_ANY_SOURCE, 0, BP_ANY_TAG);
    r2 = post(ctx, b2, sizeof(b2), 2, 0, BP_ANY_TAG);
    msg(ctx, 2, 5, "third");
    check_done(r1, BP_OK, 2, 5, 5);
    check_pending(r2);
    msg(ctx, 2, 100, "fourth");
    check_done(r2, BP_OK, 2, 100, 6);
    UNIT_CHECK_MEM_EQ(b1, "third", 5);
    UNIT_CHECK_MEM_EQ(b2, "fourth", 6);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 0);
    ctx_free(ctx);
}

/* The core's internal traffic never matches a user receive, whatever its mask. */
static void match_flags_exact(void)
{
    bp_context_t *ctx = ctx_new();
    char buf[8] = {0}, ibuf[8] = {0};
    bp_request_t *user, *internal;

    user = post(ctx, buf, sizeof(buf), BP_ANY_SOURCE, 0, ~0ull);
    frame(ctx, BPI_WIRE_EAGER, BPI_WIRE_F_INTERNAL, 1, 3, 4, "barr", 4);
    check_pending(user);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 1);
    UNIT_CHECK_NULL(bpi_unexp_find(ctx, BP_ANY_SOURCE, 0, ~0ull, 0));
    UNIT_CHECK_NOT_NULL(bpi_unexp_find(ctx, BP_ANY_SOURCE, 0, ~0ull, BPI_WIRE_F_INTERNAL));

    /* an internal receive takes it, and a user message still goes to the user receive */
    UNIT_CHECK_EQ(bpi_irecv(ctx, ibuf, sizeof(ibuf), 1, 3, 0, BPI_WIRE_F_INTERNAL, &internal),
                  BP_OK);
    check_done(internal, BP_OK, 1, 3, 4);
    UNIT_CHECK_MEM_EQ(ibuf, "barr", 4);
    check_pending(user);

    /* the other way round: an internal receive never takes a user message */
    memset(ibuf, 0, sizeof(ibuf));
    UNIT_CHECK_EQ(bpi_irecv(ctx, ibuf, sizeof(ibuf), BP_ANY_SOURCE, 0, ~0ull,
                            BPI_WIRE_F_INTERNAL, &internal),
                  BP_OK);
    msg(ctx, 2, 3, "user");
    check_done(user, BP_OK, 2, 3, 4);
    UNIT_CHECK_MEM_EQ(buf, "user", 4);
    check_pending(internal);
    UNIT_CHECK_EQ(ibuf[0], 0);
    ctx_free(ctx);
}

/* A message of three frames into a posted receive, interleaved with another sender's. */
static void match_fragmented_posted(void)
{
    bp_context_t *ctx = ctx_new();
    char m1[100], m2[70], b1[100] = {0}, b2[80] = {0};
    bp_request_t *r1, *r2;

    fill(m1, sizeof(m1), 1);
    fill(m2, sizeof(m2), 2);
    r1 = post(ctx, b1, sizeof(b1), 1, 11, 0);
    r2 = post(ctx, b2, sizeof(b2), BP_ANY_SOURCE, 11, 0);

    eager(ctx, 1, 11, 100, m1, 40);
    check_pending(r1);
    eager(ctx, 2, 11, 70, m2, 30);
    check_pending(r2);
    frag(ctx, 1, m1 + 40, 40);
    frag(ctx, 2, m2 + 30, 40);
    check_done(r2, BP_OK, 2, 11, 70);
    UNIT_CHECK_MEM_EQ(b2, m2, 70);
    check_pending(r1);
    UNIT_CHECK_EQ(r1->offset, 80);
    frag(ctx, 1, m1 + 80, 20);
    check_done(r1, BP_OK, 1, 11, 100);
    UNIT_CHECK_MEM_EQ(b1, m1, 100);

    UNIT_CHECK_NULL(ctx->peers[1].rx_req);
    UNIT_CHECK_NULL(ctx->peers[2].rx_req);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 0);
    ctx_free(ctx);
}

/*
 * A message arrives partly unexpected, a receive is posted midway, and the rest flows into
 * the receive's buffer. Once small (pooled unexpected buffer), once large (malloc'ed).
 */
static void match_fragmented_partly_unexpected(void)
{
    static const size_t sizes[] = {200, 1000};

    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        bp_context_t *ctx = ctx_new();
        size_t n = sizes[k], f = n / 4;
        char *m = malloc(n), *b = calloc(1, n);
        bp_request_t *req;

        UNIT_CHECK_NOT_NULL(m);
        UNIT_CHECK_NOT_NULL(b);
        fill(m, n, (unsigned)k + 3);
        eager(ctx, 3, 77, n, m, (uint32_t)f);
        frag(ctx, 3, m + f, (uint32_t)f);
        UNIT_CHECK_EQ(list_len(&ctx->unexp), 1);
        UNIT_CHECK_NOT_NULL(ctx->peers[3].rx_unexp);

        req = post(ctx, b, n, 3, 77, 0);
        check_pending(req);
        UNIT_CHECK_EQ(req->offset, 2 * f);
        UNIT_CHECK_MEM_EQ(b, m, 2 * f);
        UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
        UNIT_CHECK_EQ(list_len(&ctx->posted), 0);
        UNIT_CHECK_NULL(ctx->peers[3].rx_unexp);
        UNIT_CHECK_PTR_EQ(ctx->peers[3].rx_req, req);

        frag(ctx, 3, m + 2 * f, (uint32_t)f);
        check_pending(req);
        frag(ctx, 3, m + 3 * f, (uint32_t)(n - 3 * f));
        check_done(req, BP_OK, 3, 77, n);
        UNIT_CHECK_MEM_EQ(b, m, n);
        UNIT_CHECK_NULL(ctx->peers[3].rx_req);

        /* the next message of that sender starts afresh */
        msg(ctx, 3, 78, "next");
        req = post(ctx, b, n, 3, 78, 0);
        check_done(req, BP_OK, 3, 78, 4);
        UNIT_CHECK_MEM_EQ(b, "next", 4);
        free(m);
        free(b);
        ctx_free(ctx);
    }
}

/* A buffer shorter than the message: BP_ERR_TRUNC, full length reported, nothing past it. */
static void match_truncation_single(void)
{
    bp_context_t *ctx = ctx_new();
    char buf[9];
    bp_request_t *req;

    /* posted, then arrives */
    memset(buf, 0, sizeof(buf));
    buf[8] = (char)GUARD;
    req = post(ctx, buf, 8, 1, 1, 0);
    msg(ctx, 1, 1, "0123456789abcdef");
    check_done(req, BP_ERR_TRUNC, 1, 1, 16);
    UNIT_CHECK_MEM_EQ(buf, "01234567", 8);
    UNIT_CHECK_EQ((unsigned char)buf[8], GUARD);

    /* arrives, then posted */
    memset(buf, 0, sizeof(buf));
    buf[8] = (char)GUARD;
    msg(ctx, 2, 1, "fedcba9876543210");
    req = post(ctx, buf, 8, 2, 1, 0);
    check_done(req, BP_ERR_TRUNC, 2, 1, 16);
    UNIT_CHECK_MEM_EQ(buf, "fedcba98", 8);
    UNIT_CHECK_EQ((unsigned char)buf[8], GUARD);

    /* a zero-length buffer */
    buf[0] = (char)GUARD;
    req = post(ctx, buf, 0, 1, 1, 0);
    msg(ctx, 1, 1, "x");
    check_done(req, BP_ERR_TRUNC, 1, 1, 1);
    UNIT_CHECK_EQ((unsigned char)buf[0], GUARD);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    ctx_free(ctx);
}

static void match_truncation_fragmented(void)
{
    bp_context_t *ctx = ctx_new();
    char m[120], buf[51];
    bp_request_t *req;

    fill(m, sizeof(m), 9);

    /* posted: the frames run past the buffer's end */
    memset(buf, 0, sizeof(buf));
    buf[50] = (char)GUARD;
    req = post(ctx, buf, 50, 1, 4, 0);
    eager(ctx, 1, 4, 120, m, 40);
    frag(ctx, 1, m + 40, 40);
    check_pending(req);
    frag(ctx, 1, m + 80, 40);
    check_done(req, BP_ERR_TRUNC, 1, 4, 120);
    UNIT_CHECK_MEM_EQ(buf, m, 50);
    UNIT_CHECK_EQ((unsigned char)buf[50], GUARD);
    UNIT_CHECK_NULL(ctx->peers[1].rx_req);

    /* partly unexpected: more has arrived than the buffer holds when it is posted */
    memset(buf, 0, sizeof(buf));
    buf[50] = (char)GUARD;
    eager(ctx, 2, 4, 120, m, 40);
    frag(ctx, 2, m + 40, 40);
    req = post(ctx, buf, 50, 2, 4, 0);
    check_pending(req);
    UNIT_CHECK_EQ((unsigned char)buf[50], GUARD);
    frag(ctx, 2, m + 80, 40);
    check_done(req, BP_ERR_TRUNC, 2, 4, 120);
    UNIT_CHECK_MEM_EQ(buf, m, 50);
    UNIT_CHECK_EQ((unsigned char)buf[50], GUARD);
    UNIT_CHECK_NULL(ctx->peers[2].rx_req);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    ctx_free(ctx);
}

/* bpi_unexp_find (probe) sees an unexpected message without taking it. */
static void match_probe(void)
{
    bp_context_t *ctx = ctx_new();
    char m[300], buf[300] = {0};
    bpi_unexp_t *u, *u2;
    bp_request_t *req;

    UNIT_CHECK_NULL(bpi_unexp_find(ctx, BP_ANY_SOURCE, 0, BP_ANY_TAG, 0));
    msg(ctx, 2, 21, "probe me");
    u = bpi_unexp_find(ctx, 2, 21, 0, 0);
    UNIT_CHECK_NOT_NULL(u);
    UNIT_CHECK_EQ(u->source, 2);
    UNIT_CHECK_EQ_U(u->tag, 21);
    UNIT_CHECK_EQ_U(u->msg_len, 8);
    UNIT_CHECK_EQ_U(u->received, 8);
    UNIT_CHECK_MEM_EQ(u->data, "probe me", 8);
    u2 = bpi_unexp_find(ctx, BP_ANY_SOURCE, 0, BP_ANY_TAG, 0);
    UNIT_CHECK_PTR_EQ(u2, u);
    UNIT_CHECK_NULL(bpi_unexp_find(ctx, 1, 21, 0, 0));
    UNIT_CHECK_NULL(bpi_unexp_find(ctx, 2, 22, 0, 0));
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 1);

    /* a message still arriving is seen with its full length */
    fill(m, sizeof(m), 5);
    eager(ctx, 1, 22, 300, m, 100);
    u = bpi_unexp_find(ctx, BP_ANY_SOURCE, 22, 0, 0);
    UNIT_CHECK_NOT_NULL(u);
    UNIT_CHECK_EQ(u->source, 1);
    UNIT_CHECK_EQ_U(u->msg_len, 300);
    UNIT_CHECK_EQ_U(u->received, 100);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 2);

    /* the probed messages are still there for the receives */
    req = post(ctx, buf, sizeof(buf), 2, 21, 0);
    check_done(req, BP_OK, 2, 21, 8);
    UNIT_CHECK_MEM_EQ(buf, "probe me", 8);
    UNIT_CHECK_NULL(bpi_unexp_find(ctx, 2, 21, 0, 0));
    frag(ctx, 1, m + 100, 200);
    req = post(ctx, buf, sizeof(buf), 1, 22, 0);
    check_done(req, BP_OK, 1, 22, 300);
    UNIT_CHECK_MEM_EQ(buf, m, 300);
    UNIT_CHECK_NULL(bpi_unexp_find(ctx, BP_ANY_SOURCE, 0, BP_ANY_TAG, 0));
    ctx_free(ctx);
}

/* Malformed frames are dropped (one log line each): no crash, nothing matched or queued. */
static void match_malformed_dropped(void)
{
    bp_context_t *ctx = ctx_new();
    char buf[64] = {0}, abuf[64] = {0}, m[32];
    bp_request_t *any, *req;

    fill(m, sizeof(m), 7);
    req = post(ctx, buf, sizeof(buf), 2, 8, 0);
    any = post(ctx, abuf, sizeof(abuf), BP_ANY_SOURCE, 0, BP_ANY_TAG);

    eager(ctx, NRANKS, 1, 4, "bad!", 4);     /* src == size */
    eager(ctx, UINT32_MAX, 1, 4, "bad!", 4); /* src far out */
    frag(ctx, 1, "bad!", 4);                 /* FRAG with no message under way */
    frame(ctx, 0, 0, 1, 1, 4, "bad!", 4);    /* unknown types */
    frame(ctx, BPI_WIRE_TL, 0, 1, 1, 4, "bad!", 4);
    frame(ctx, 99, 0, 1, 1, 4, "bad!", 4);
    eager(ctx, 1, 1, 2, "bad!", 4); /* frame longer than the message */
    check_pending(req);
    check_pending(any);
    UNIT_CHECK_EQ(abuf[0], 0);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 2);
    for (int i = 0; i < NRANKS; i++) {
        UNIT_CHECK_NULL(ctx->peers[i].rx_req);
        UNIT_CHECK_NULL(ctx->peers[i].rx_unexp);
    }

    /* a FRAG running past its message's end is dropped too; the message still completes */
    eager(ctx, 2, 8, 20, m, 10);
    frag(ctx, 2, m + 10, 11);
    check_pending(req);
    UNIT_CHECK_EQ(req->offset, 10);
    frag(ctx, 2, m + 10, 10);
    check_done(req, BP_OK, 2, 8, 20);
    UNIT_CHECK_MEM_EQ(buf, m, 20);

    /* and the engine still works for well-formed traffic */
    check_pending(any);
    msg(ctx, 1, 1, "fine");
    check_done(any, BP_OK, 1, 1, 4);
    UNIT_CHECK_MEM_EQ(abuf, "fine", 4);
    UNIT_CHECK_EQ(list_len(&ctx->unexp), 0);
    UNIT_CHECK_EQ(list_len(&ctx->posted), 0);
    ctx_free(ctx);
}

int main(void)
{
    UNIT_RUN(match_posted_then_arrive);
    UNIT_RUN(match_arrive_then_post);
    UNIT_RUN(match_any_source);
    UNIT_RUN(match_tag_ignore_mask);
    UNIT_RUN(match_same_sender_in_order);
    UNIT_RUN(match_flags_exact);
    UNIT_RUN(match_fragmented_posted);
    UNIT_RUN(match_fragmented_partly_unexpected);
    UNIT_RUN(match_truncation_single);
    UNIT_RUN(match_truncation_fragmented);
    UNIT_RUN(match_probe);
    UNIT_RUN(match_malformed_dropped);
    return 0;
}

/* list.h - intrusive doubly linked lists (a circular list with a head node). */
#ifndef BPI_LIST_H
#define BPI_LIST_H

#include <stddef.h>

typedef struct bpi_list {
    struct bpi_list *next;
    struct bpi_list *prev;
} bpi_list_t;

#define bpi_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void bpi_list_init(bpi_list_t *head)
{
    head->next = head;
    head->prev = head;
}

static inline int bpi_list_empty(const bpi_list_t *head)
{
    return head->next == head;
}

static inline void bpi_list_push_back(bpi_list_t *head, bpi_list_t *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

static inline void bpi_list_remove(bpi_list_t *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node;
    node->prev = node;
}

#define bpi_list_for_each_safe(pos, tmp, head)                                                 \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
         (pos) = (tmp), (tmp) = (pos)->next)

#endif

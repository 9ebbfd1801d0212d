/*
 * config_index.c - an index of borrowed strings for the config reader: duplicate keys, values and benchmark names,
 * and {param} lookups, each in O(1) instead of a scan of everything before it.
 */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

struct bl_cfg_slot {
	const char *key; /* NULL: empty slot */
	size_t len;
	size_t id;
};

/* FNV-1a, then a multiply so that the low bits used as the slot depend on every byte. */
static size_t hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return (size_t)((h ^ (h >> 29)) * 0x9e3779b97f4a7c15u >> 17);
}

static struct bl_cfg_slot *slot_of(struct bl_cfg_slot *slots, size_t cap, const char *key, size_t len)
{
	size_t i = hash(key, len) & (cap - 1);
	while (slots[i].key && (slots[i].len != len || memcmp(slots[i].key, key, len)))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Kept at most half full, so that a probe ends soon on an empty slot. */
static void grow(struct bl_cfg_index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : 16;
	struct bl_cfg_slot *slots = bl_xcalloc(cap, sizeof(*slots));
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].key)
			*slot_of(slots, cap, ix->slots[i].key, ix->slots[i].len) = ix->slots[i];
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
}

size_t bl_cfg_index_add(struct bl_cfg_index *ix, const char *key, size_t len, size_t id)
{
	if ((ix->n + 1) * 2 > ix->cap)
		grow(ix);
	struct bl_cfg_slot *slot = slot_of(ix->slots, ix->cap, key, len);
	if (slot->key)
		return slot->id;
	*slot = (struct bl_cfg_slot){key, len, id};
	ix->n++;
	return BL_CFG_NONE;
}

size_t bl_cfg_index_find(const struct bl_cfg_index *ix, const char *key, size_t len)
{
	if (!ix->n)
		return BL_CFG_NONE;
	struct bl_cfg_slot *slot = slot_of(ix->slots, ix->cap, key, len);
	return slot->key ? slot->id : BL_CFG_NONE;
}

void bl_cfg_index_release(struct bl_cfg_index *ix)
{
	free(ix->slots);
	memset(ix, 0, sizeof(*ix));
}

/*
 * The host board's stand-in for Arduino's Preferences on the `ffcfg` partition: reads string and
 * u16 keys of one namespace straight from an NVS partition image (ESP-IDF page format version 2),
 * the bytes FieldFlash wrote at the ffcfg offset. Written from ESP-IDF's NVS documentation, like
 * docs/tools/nvs_read.py; it answers exactly what the firmware's Preferences callbacks answer
 * (missing, wrong type, too long), so the host board runs the firmware's ff_config_load on the
 * real partition bytes.
 */
#include "host_nvs.h"

#include <string.h>

#define PAGE_SIZE 4096u
#define ENTRIES_PER_PAGE 126u
#define ENTRY_SIZE 32u
#define FIRST_ENTRY 64u
#define PAGE_EMPTY 0xFFFFFFFFu
#define TYPE_U8 0x01u
#define TYPE_U16 0x02u
#define TYPE_STR 0x21u

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned entry_state(const uint8_t *page, unsigned index) {
  return (page[32u + index / 4u] >> ((index % 4u) * 2u)) & 3u;
}

/** Finds the written entry of namespace `ns` named `key`; NULL when there is none. */
static const uint8_t *find(const host_nvs *nvs, uint8_t ns, const char *key, const uint8_t **page) {
  for (size_t at = 0; at + PAGE_SIZE <= nvs->len; at += PAGE_SIZE) {
    const uint8_t *p = nvs->image + at;
    if (le32(p) == PAGE_EMPTY) continue;
    for (unsigned i = 0; i < ENTRIES_PER_PAGE; i++) {
      const uint8_t *e = p + FIRST_ENTRY + i * ENTRY_SIZE;
      unsigned span;
      if (entry_state(p, i) != 2u) continue; /* empty or erased */
      span = e[2] == 0 ? 1u : e[2];
      if (e[0] == ns && strncmp((const char *)e + 8, key, 16) == 0) {
        *page = p;
        return e;
      }
      i += span - 1u; /* skip the entry's data */
    }
  }
  return NULL;
}

int host_nvs_open(host_nvs *nvs, const uint8_t *image, size_t len, const char *name) {
  const uint8_t *page;
  const uint8_t *e;
  nvs->image = image;
  nvs->len = len;
  e = find(nvs, 0, name, &page);
  if (e == NULL || e[1] != TYPE_U8) return 0;
  nvs->ns = e[24];
  return 1;
}

ff_kv_status host_nvs_get_str(void *user, const char *key, char *buf, size_t cap) {
  const host_nvs *nvs = (const host_nvs *)user;
  const uint8_t *page;
  const uint8_t *e = find(nvs, nvs->ns, key, &page);
  size_t size;
  if (e == NULL) return FF_KV_MISSING;
  if (e[1] != TYPE_STR) return FF_KV_WRONG_TYPE;
  size = (size_t)e[24] | (size_t)e[25] << 8; /* with its NUL */
  if (size == 0 || size > cap) return FF_KV_TOO_LONG;
  /* The string's bytes fill the entries after this one, on the same page. */
  if ((size_t)(e + ENTRY_SIZE - page) + size > PAGE_SIZE) return FF_KV_MISSING;
  memcpy(buf, e + ENTRY_SIZE, size);
  buf[size - 1] = '\0';
  return FF_KV_OK;
}

ff_kv_status host_nvs_get_u16(void *user, const char *key, uint16_t *out) {
  const host_nvs *nvs = (const host_nvs *)user;
  const uint8_t *page;
  const uint8_t *e = find(nvs, nvs->ns, key, &page);
  if (e == NULL) return FF_KV_MISSING;
  if (e[1] != TYPE_U16) return FF_KV_WRONG_TYPE;
  *out = (uint16_t)(e[24] | e[25] << 8);
  return FF_KV_OK;
}

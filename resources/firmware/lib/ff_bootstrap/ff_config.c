/* Where the device's values come from: see ff_config.h. */
#include "ff_config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static ff_cfg_result fail(ff_device_config *out, const char *what, const char *key) {
  ff_cfg_result r;
  memset(out, 0, sizeof *out);
  r.source = FF_CFG_ERROR;
  /* "cfg_" + "missing_" + a key of at most 12 chars: always fits 32 characters. */
  snprintf(r.reason, sizeof r.reason, "cfg_%s_%s", what, key);
  return r;
}

static const char *status_word(ff_kv_status st) {
  switch (st) {
    case FF_KV_MISSING:
      return "missing";
    case FF_KV_WRONG_TYPE:
      return "type";
    case FF_KV_TOO_LONG:
      return "long";
    default:
      return "internal";
  }
}

/** Copies a header string; false when it does not fit (the template was edited by hand). */
static bool copy_value(char *dst, size_t cap, const char *src) {
  size_t len;
  if (src == NULL) return false;
  len = strlen(src);
  if (len + 1u > cap) return false;
  memcpy(dst, src, len + 1u);
  return true;
}

typedef struct {
  const char *key;
  size_t offset;
  size_t cap;
} string_key;

#define FIELD(name) offsetof(ff_device_config, name), sizeof(((ff_device_config *)0)->name)

/* The string keys in protocol order, with where each one goes. */
static const string_key k_strings[] = {
    {"uid", FIELD(uid)},
    {"platform_key", FIELD(platform_key)},
    {"mqtt_host", FIELD(mqtt_host)},
    {"mqtt_user", FIELD(mqtt_user)},
    {"mqtt_pass", FIELD(mqtt_pass)},
    {"ota_base_url", FIELD(ota_base_url)},
    {"api_host", FIELD(api_host)},
    {"prov_token", FIELD(prov_token)},
};

static ff_cfg_result load_nvs(ff_device_config *out, const ff_kv_source *nvs) {
  ff_cfg_result ok;
  ff_kv_status st;
  size_t i;

  if (nvs->get_str == NULL || nvs->get_u16 == NULL) return fail(out, "internal", "source");
  /* mqtt_port sits between mqtt_host and mqtt_user; reading order does not matter here. */
  for (i = 0; i < sizeof k_strings / sizeof k_strings[0]; i++) {
    char *dst = (char *)out + k_strings[i].offset;
    st = nvs->get_str(nvs->user, k_strings[i].key, dst, k_strings[i].cap);
    if (st != FF_KV_OK) return fail(out, status_word(st), k_strings[i].key);
    dst[k_strings[i].cap - 1u] = '\0'; /* a callback that forgot the NUL cannot run past it */
  }
  st = nvs->get_u16(nvs->user, "mqtt_port", &out->mqtt_port);
  if (st != FF_KV_OK) return fail(out, status_word(st), "mqtt_port");

  st = nvs->get_str(nvs->user, "wifi_ssid", out->wifi_ssid, sizeof out->wifi_ssid);
  if (st == FF_KV_OK) {
    out->wifi_ssid[sizeof out->wifi_ssid - 1u] = '\0';
    st = nvs->get_str(nvs->user, "wifi_pass", out->wifi_pass, sizeof out->wifi_pass);
    if (st != FF_KV_OK) return fail(out, status_word(st), "wifi_pass");
    out->wifi_pass[sizeof out->wifi_pass - 1u] = '\0';
    out->has_wifi = true;
  } else if (st != FF_KV_MISSING) {
    return fail(out, status_word(st), "wifi_ssid");
  }
  ok.source = FF_CFG_NVS;
  ok.reason[0] = '\0';
  return ok;
}

static ff_cfg_result load_header(ff_device_config *out, const ff_header_values *h) {
  ff_cfg_result ok;
  const char *values[] = {h->uid,       h->platform_key, h->mqtt_host,    h->mqtt_user,
                          h->mqtt_pass, h->ota_base_url, h->api_host,     h->prov_token};
  size_t i;
  for (i = 0; i < sizeof k_strings / sizeof k_strings[0]; i++) {
    if (!copy_value((char *)out + k_strings[i].offset, k_strings[i].cap, values[i])) {
      return fail(out, values[i] == NULL ? "missing" : "long", k_strings[i].key);
    }
  }
  out->mqtt_port = h->mqtt_port;
  ok.source = FF_CFG_HEADER;
  ok.reason[0] = '\0';
  return ok;
}

ff_cfg_result ff_config_load(ff_device_config *out, const ff_kv_source *nvs,
                             const ff_header_values *header) {
  ff_device_config scratch;
  if (out == NULL) out = &scratch;
  memset(out, 0, sizeof *out);
  if (nvs != NULL) return load_nvs(out, nvs);
  if (header != NULL) return load_header(out, header);
  {
    ff_cfg_result none;
    none.source = FF_CFG_ERROR;
    memcpy(none.reason, "cfg_none", sizeof "cfg_none");
    return none;
  }
}

const char *ff_cfg_source_name(ff_cfg_source source) {
  switch (source) {
    case FF_CFG_NVS:
      return "nvs";
    case FF_CFG_HEADER:
      return "header";
    default:
      return NULL;
  }
}

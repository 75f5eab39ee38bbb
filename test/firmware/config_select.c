/*
 * Host test of lib/ff_bootstrap/ff_config.c, the choice between the config partition and the
 * rendered header, and of the banner's cfg= key. A fake config partition answers from a table, as
 * the board's Preferences callbacks answer from NVS. Prints one line per failed check and a
 * summary; exits 1 on any failure.
 */
#include <stdio.h>
#include <string.h>

#include "ff_bootstrap.h"
#include "ff_config.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                              \
  do {                                                \
    checks++;                                         \
    if (!(cond)) {                                    \
      failures++;                                     \
      printf("FAIL line %d: ", __LINE__);             \
      printf(__VA_ARGS__);                            \
      printf("\n");                                   \
    }                                                 \
  } while (0)

typedef struct {
  const char *key;
  char type; /* 's' string, 'u' u16 */
  const char *text;
  uint16_t number;
} entry;

typedef struct {
  const entry *entries;
  size_t count;
} table;

static const entry *find(const table *t, const char *key) {
  for (size_t i = 0; i < t->count; i++)
    if (strcmp(t->entries[i].key, key) == 0) return &t->entries[i];
  return NULL;
}

static ff_kv_status get_str(void *user, const char *key, char *buf, size_t cap) {
  const entry *e = find((const table *)user, key);
  if (e == NULL) return FF_KV_MISSING;
  if (e->type != 's') return FF_KV_WRONG_TYPE;
  if (strlen(e->text) + 1u > cap) return FF_KV_TOO_LONG;
  memcpy(buf, e->text, strlen(e->text) + 1u);
  return FF_KV_OK;
}

static ff_kv_status get_u16(void *user, const char *key, uint16_t *out) {
  const entry *e = find((const table *)user, key);
  if (e == NULL) return FF_KV_MISSING;
  if (e->type != 'u') return FF_KV_WRONG_TYPE;
  *out = e->number;
  return FF_KV_OK;
}

static void sink(void *user, const char *data, size_t len) {
  (void)user;
  (void)data;
  (void)len;
}

static uint32_t clock0(void *user) {
  (void)user;
  return 0;
}

static const char k_token[] = "ffpt_z7q5m49tb2fr7md1gswjdzcm8qs5njpz6j7dwqdxaqjgaw90q19g2a4aqpy";

static entry k_full[] = {
    {"uid", 's', "ff-0123456789ab", 0},
    {"platform_key", 's', "pk_live_1", 0},
    {"mqtt_host", 's', "mqtt.example.com", 0},
    {"mqtt_port", 'u', NULL, 8883},
    {"mqtt_user", 's', "dev-ff-0123456789ab", 0},
    {"mqtt_pass", 's', "Zq3vN0x8Yk2Lm5Pw7Rt9Sb4Hc6Jd1Fg0", 0},
    {"ota_base_url", 's', "https://ota.example.com/fw", 0},
    {"api_host", 's', "api.example.com", 0},
    {"prov_token", 's', k_token, 0},
};
#define FULL_COUNT (sizeof k_full / sizeof k_full[0])

static ff_cfg_result load_table(entry *entries, size_t count, const ff_header_values *header,
                                ff_device_config *out) {
  table t = {entries, count};
  ff_kv_source src = {get_str, get_u16, &t};
  return ff_config_load(out, &src, header);
}

static const ff_header_values k_header = {
    "pump-0001", "pk_hdr", "mqtt.hdr.example.com", 1883, "dev-pump-0001",
    "hdr-pass",  "https://ota.hdr.example.com/", "api.hdr.example.com", k_token};

static void without(const char *key, const char *reason) {
  entry copy[FULL_COUNT];
  size_t n = 0;
  ff_device_config cfg;
  for (size_t i = 0; i < FULL_COUNT; i++)
    if (strcmp(k_full[i].key, key) != 0) copy[n++] = k_full[i];
  ff_cfg_result r = load_table(copy, n, &k_header, &cfg);
  CHECK(r.source == FF_CFG_ERROR && strcmp(r.reason, reason) == 0,
        "without %s: expected FFERR %s, got source %d reason %s", key, reason, r.source, r.reason);
  CHECK(cfg.prov_token[0] == '\0' && cfg.mqtt_pass[0] == '\0', "secrets cleared on error");
}

int main(void) {
  ff_device_config cfg;
  ff_cfg_result r;

  /* The config partition wins over the header. */
  r = load_table(k_full, FULL_COUNT, &k_header, &cfg);
  CHECK(r.source == FF_CFG_NVS, "full partition: source %d", r.source);
  CHECK(strcmp(cfg.uid, "ff-0123456789ab") == 0, "uid from nvs: %s", cfg.uid);
  CHECK(cfg.mqtt_port == 8883, "port from nvs: %u", cfg.mqtt_port);
  CHECK(strcmp(cfg.prov_token, k_token) == 0, "token from nvs");
  CHECK(!cfg.has_wifi, "no wifi keys: no wifi");
  CHECK(strcmp(ff_cfg_source_name(r.source), "nvs") == 0, "source name nvs");

  /* Without a partition, the header. */
  r = ff_config_load(&cfg, NULL, &k_header);
  CHECK(r.source == FF_CFG_HEADER && strcmp(cfg.uid, "pump-0001") == 0 && cfg.mqtt_port == 1883,
        "header fallback: source %d uid %s", r.source, cfg.uid);
  CHECK(strcmp(ff_cfg_source_name(r.source), "header") == 0, "source name header");

  /* Neither. */
  r = ff_config_load(&cfg, NULL, NULL);
  CHECK(r.source == FF_CFG_ERROR && strcmp(r.reason, "cfg_none") == 0, "neither: %s", r.reason);

  /* Every key is required once the partition is there, even when a header could stand in. */
  without("uid", "cfg_missing_uid");
  without("mqtt_port", "cfg_missing_mqtt_port");
  without("prov_token", "cfg_missing_prov_token");
  without("ota_base_url", "cfg_missing_ota_base_url");

  /* A key of the wrong type is named, never read as a default (Arduino's Preferences would). */
  {
    entry copy[FULL_COUNT];
    memcpy(copy, k_full, sizeof copy);
    copy[3].type = 's';
    copy[3].text = "8883";
    r = load_table(copy, FULL_COUNT, NULL, &cfg);
    CHECK(strcmp(r.reason, "cfg_type_mqtt_port") == 0, "port stored as string: %s", r.reason);
    memcpy(copy, k_full, sizeof copy);
    copy[0].type = 'u';
    r = load_table(copy, FULL_COUNT, NULL, &cfg);
    CHECK(strcmp(r.reason, "cfg_type_uid") == 0, "uid stored as number: %s", r.reason);
  }

  /* A value longer than its buffer is refused, not cut. */
  {
    static char long_url[600];
    entry copy[FULL_COUNT];
    memset(long_url, 'a', sizeof long_url - 1u);
    memcpy(copy, k_full, sizeof copy);
    copy[6].text = long_url;
    r = load_table(copy, FULL_COUNT, NULL, &cfg);
    CHECK(strcmp(r.reason, "cfg_long_ota_base_url") == 0, "long url: %s", r.reason);
  }

  /* Wi-Fi: both keys, or the password named as missing. */
  {
    entry copy[FULL_COUNT + 2];
    memcpy(copy, k_full, sizeof k_full);
    copy[FULL_COUNT] = (entry){"wifi_ssid", 's', "Plant 3", 0};
    copy[FULL_COUNT + 1] = (entry){"wifi_pass", 's', "", 0};
    r = load_table(copy, FULL_COUNT + 2, NULL, &cfg);
    CHECK(r.source == FF_CFG_NVS && cfg.has_wifi && strcmp(cfg.wifi_ssid, "Plant 3") == 0 &&
              cfg.wifi_pass[0] == '\0',
          "open wifi: %d %s", r.source, r.reason);
    r = load_table(copy, FULL_COUNT + 1, NULL, &cfg);
    CHECK(strcmp(r.reason, "cfg_missing_wifi_pass") == 0, "ssid without pass: %s", r.reason);
  }

  /* Every reason fits an FFERR line. */
  {
    char line[FF_LINE_BUF];
    CHECK(ff_format_error(line, sizeof line, "ff-0123456789ab", "cfg_missing_ota_base_url") > 0,
          "FFERR with the longest reason");
  }

  /* The banner says where its values came from. */
  {
    static const uint8_t mac[FF_MAC_LEN] = {0x24, 0x0a, 0xc4, 0x12, 0x34, 0x56};
    ff_bootstrap b;
    ff_bootstrap_config bc;
    memset(&bc, 0, sizeof bc);
    bc.uid = "ff-0123456789ab";
    bc.token = k_token;
    bc.mac = mac;
    bc.fw = "1.0.0";
    bc.cfg_source = "nvs";
    CHECK(ff_bootstrap_init(&b, &bc, sink, clock0, NULL) == FF_BOOT_BANNER, "banner armed");
    CHECK(b.line_len > 19 && strcmp(b.line + b.line_len - 19, " fw=1.0.0 cfg=nvs\r\n") == 0,
          "banner ends with cfg=nvs: %s", b.line);
    bc.cfg_source = "header";
    ff_bootstrap_init(&b, &bc, sink, clock0, NULL);
    CHECK(strstr(b.line, " cfg=header\r\n") != NULL, "banner with cfg=header: %s", b.line);
    bc.cfg_source = NULL;
    ff_bootstrap_init(&b, &bc, sink, clock0, NULL);
    CHECK(strstr(b.line, "cfg=") == NULL, "no source, no cfg key: %s", b.line);
    bc.cfg_source = "bogus";
    ff_bootstrap_init(&b, &bc, sink, clock0, NULL);
    CHECK(strstr(b.line, "cfg=") == NULL, "unknown source, no cfg key: %s", b.line);
  }

  printf("config_select: %d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}

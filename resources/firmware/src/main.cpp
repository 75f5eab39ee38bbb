// FieldFlash bootstrap firmware, shared by every board template (ESP32 family and ESP8266).
//
// Until the board is registered it prints, on boot and every 5 s, one line a technician's
// FieldFlash app recognises (docs/protocol.md):
//   FFBOOT v=1 uid=<uid> fp=<fp> code=<XXXX-XXXX> mac=<aa:bb:cc:dd:ee:ff> fw=<version> cfg=nvs|header n=<nonce>
// or, if its configuration is unusable, an FFERR line saying why (naming the key). After the
// technician approves it, FieldFlash registers it over the same cable (FFREG → FFACK); from then
// on it prints FFREGD v=1 uid=.. rfp=.. exp=.. n=.. proof=.. instead of the banner.
//
// Secrets: PROVISIONING_TOKEN, the registration token and DEVICE_MQTT_PASSWORD are never printed,
// logged or sent over serial. Only fingerprints, the verification code and proofs leave the board.
//
// Registering online (presenting the token to API_HOST as the Spotflow device SDK does, and
// refreshing the registration token there) is future work, described in docs/protocol.md; this
// firmware registers offline, over the cable, only.

#include <Arduino.h>

// The device's values come from the `ffcfg` config partition that FieldFlash writes at flash time
// (a base firmware, built once per board with `pio run -e generic`), or from include/device_config.h
// when built from one device's template. lib/ff_bootstrap/ff_config.c decides (host-tested).
// The generic base firmware never takes a header, even when one lies in include/: no device's
// secrets may end up in a firmware meant for every board.
#if defined(__has_include) && !defined(FF_GENERIC_BUILD)
#if __has_include("device_config.h")
#include "device_config.h"
#define FF_HAS_HEADER 1
#endif
#endif

#if !defined(FF_HAS_HEADER) && !defined(FF_GENERIC_BUILD)
#error "include/device_config.h is missing: download this device's template from FieldFlash (see include/README), or build the base firmware with the generic environment (pio run -e generic) and provision boards with FieldFlash."
#endif

#if defined(FF_HAS_HEADER)
#if !defined(DEVICE_UID) || !defined(PLATFORM_KEY) || !defined(MQTT_HOST) || !defined(MQTT_PORT) || \
    !defined(DEVICE_MQTT_USERNAME) || !defined(DEVICE_MQTT_PASSWORD) || !defined(OTA_BASE_URL) ||   \
    !defined(API_HOST) || !defined(PROVISIONING_TOKEN)
#error "include/device_config.h lacks one of the nine values; download this template again from FieldFlash."
#endif
static_assert(MQTT_PORT > 0 && MQTT_PORT <= 65535, "MQTT_PORT in device_config.h must be 1-65535");
#endif

#include "ff_bootstrap.h"
#include "ff_config.h"
#include "ff_register.h"

#if defined(ARDUINO_ARCH_ESP32) || defined(ESP32)
#include <Preferences.h>
#include <esp_system.h>
#if defined(__has_include)
#if __has_include(<esp_random.h>)
#include <esp_random.h>  // ESP-IDF 5 moved esp_fill_random() here
#endif
#endif
#if defined(__has_include)
#if __has_include(<esp_mac.h>)
#include <esp_mac.h>  // ESP-IDF 5 (Arduino core 3.x) moved esp_read_mac() here
#endif
#endif
#define FF_TARGET_ESP32 1
#elif defined(ESP8266)
#include <ESP8266WiFi.h>
#define FF_TARGET_ESP8266 1
#if defined(FF_GENERIC_BUILD)
#error "ESP8266 has no NVS, so there is no config partition and no generic base firmware: build each device's template instead."
#endif
#else
#error "The FieldFlash firmware supports ESP32-family and ESP8266 boards only."
#endif

#ifndef FF_FIRMWARE_VERSION
#define FF_FIRMWARE_VERSION FF_FIRMWARE_VERSION_DEFAULT
#endif

namespace {

constexpr unsigned long kSerialBaud = 115200;
// The partition FieldFlash writes, and the namespace of the values inside it.
constexpr const char *kConfigPartition = "ffcfg";
constexpr const char *kConfigNamespace = "fieldflash";

// Every value the device needs, from whichever source won. Holds secrets (the MQTT password and
// the provisioning token): nothing here may be printed except the uid and the non-secret hosts.
ff_device_config gConfig;
ff_cfg_result gConfigSource;

ff_bootstrap gBootstrap;
ff_boot_line gBootLine = FF_BOOT_ERR_INTERNAL;
// Registration over the cable (ESP32 family; an ESP8266 has no NVS of its own to keep it in).
ff_register gRegister;
bool gListening = false;

void serialWrite(void * /*user*/, const char *data, size_t len) {
  Serial.write(reinterpret_cast<const uint8_t *>(data), len);
}

uint32_t arduinoMillis(void * /*user*/) { return static_cast<uint32_t>(millis()); }

// The station MAC: what the app compares to detect one token flashed onto a second board.
void readStationMac(uint8_t mac[FF_MAC_LEN]) {
#if defined(FF_TARGET_ESP32)
  // Read from eFuse directly: works before WiFi is started, on every core version.
  if (esp_read_mac(mac, ESP_MAC_WIFI_STA) != ESP_OK) memset(mac, 0, FF_MAC_LEN);
#else
  WiFi.macAddress(mac);
#endif
}

#if defined(FF_TARGET_ESP32)
// Preferences returns the default value silently when a key's stored type differs from the
// getter's: check the type first, so a wrong key is named instead of read as 0 or "".
ff_kv_status prefsGetStr(void *user, const char *key, char *buf, size_t cap) {
  Preferences *prefs = static_cast<Preferences *>(user);
  if (!prefs->isKey(key)) return FF_KV_MISSING;
  if (prefs->getType(key) != PT_STR) return FF_KV_WRONG_TYPE;
  const String value = prefs->getString(key);
  if (value.length() + 1 > cap) return FF_KV_TOO_LONG;
  memcpy(buf, value.c_str(), value.length() + 1);
  return FF_KV_OK;
}

ff_kv_status prefsGetU16(void *user, const char *key, uint16_t *out) {
  Preferences *prefs = static_cast<Preferences *>(user);
  if (!prefs->isKey(key)) return FF_KV_MISSING;
  if (prefs->getType(key) != PT_U16) return FF_KV_WRONG_TYPE;
  *out = prefs->getUShort(key);
  return FF_KV_OK;
}
#endif

// Loads gConfig: the config partition (read-only) when it holds the namespace, else the header.
void loadConfig() {
#if defined(FF_HAS_HEADER)
  static const ff_header_values header = {
      DEVICE_UID,           PLATFORM_KEY, MQTT_HOST,    static_cast<uint16_t>(MQTT_PORT),
      DEVICE_MQTT_USERNAME, DEVICE_MQTT_PASSWORD, OTA_BASE_URL, API_HOST,
      PROVISIONING_TOKEN};
  const ff_header_values *fromHeader = &header;
#else
  const ff_header_values *fromHeader = nullptr;
#endif
#if defined(FF_TARGET_ESP32)
  Preferences prefs;
  if (prefs.begin(kConfigNamespace, /*readOnly=*/true, kConfigPartition)) {
    const ff_kv_source nvs = {prefsGetStr, prefsGetU16, &prefs};
    gConfigSource = ff_config_load(&gConfig, &nvs, fromHeader);
    prefs.end();
    return;
  }
#endif
  gConfigSource = ff_config_load(&gConfig, nullptr, fromHeader);
}

#if defined(FF_TARGET_ESP32)
// The registration lives in the board's own `nvs` partition (namespace "ffreg"), never in the
// read-only `ffcfg`: a new config partition must not erase it, and erasing it must not touch ffcfg.
constexpr const char *kRegNamespace = "ffreg";

void loadRegistration(ff_registration *reg) {
  memset(reg, 0, sizeof *reg);
  Preferences prefs;
  if (!prefs.begin(kRegNamespace, /*readOnly=*/true)) return;  // never registered
  prefs.getString("rt", reg->rt, sizeof reg->rt);
  prefs.getString("exp", reg->exp, sizeof reg->exp);
  prefs.getString("pfp", reg->pfp, sizeof reg->pfp);
  prefs.end();
}

bool saveRegistration(void * /*user*/, const ff_registration *reg) {
  Preferences prefs;
  if (!prefs.begin(kRegNamespace, /*readOnly=*/false)) return false;
  const bool ok = prefs.putString("rt", reg->rt) > 0 && prefs.putString("exp", reg->exp) > 0 &&
                  prefs.putString("pfp", reg->pfp) > 0;
  prefs.end();
  return ok;
}

// This boot's nonce, from the hardware random number generator.
void bootNonce(char out[FF_NONCE_BUF]) {
  uint8_t raw[FF_NONCE_RAW];
  esp_fill_random(raw, sizeof raw);
  ff_nonce_format(raw, out);
}
#endif

// Registered: the FFREGD status line replaces the banner.
void showRegistered() {
  char line[FF_REG_LINE_BUF];
  const int len = ff_register_status_line(&gRegister, line, sizeof line);
  if (len > 0) ff_bootstrap_arm(&gBootstrap, line, static_cast<size_t>(len));
}

}  // namespace

void setup() {
  Serial.begin(kSerialBaud);
  // Ends whatever partial line the ROM left, so the first banner starts on a line of its own.
  Serial.write("\r\n");

  uint8_t mac[FF_MAC_LEN];
  readStationMac(mac);
  loadConfig();

  if (gConfigSource.source == FF_CFG_ERROR) {
    // No usable configuration: say which key (or that there is none) on every interval.
    char line[FF_LINE_BUF];
    const int len = ff_format_error(line, sizeof line - 2, gConfig.uid, gConfigSource.reason);
    if (len > 0) {
      line[len] = '\r';
      line[len + 1] = '\n';
      for (;;) {
        Serial.write(reinterpret_cast<const uint8_t *>(line), len + 2);
        delay(FF_BANNER_INTERVAL_MS);
      }
    }
  }

  ff_bootstrap_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.uid = gConfig.uid;
  cfg.token = gConfig.prov_token;
  cfg.mac = mac;
  cfg.fw = FF_FIRMWARE_VERSION;
  cfg.interval_ms = FF_BANNER_INTERVAL_MS;
  cfg.cfg_source = ff_cfg_source_name(gConfigSource.source);
#if defined(FF_TARGET_ESP32)
  char nonce[FF_NONCE_BUF];
  bootNonce(nonce);
  cfg.nonce = nonce;
#endif
  gBootLine = ff_bootstrap_init(&gBootstrap, &cfg, serialWrite, arduinoMillis, nullptr);

#if defined(FF_TARGET_ESP32)
  // Only a board with a well-formed token can be registered; with an FFERR line it just reports.
  if (gBootLine == FF_BOOT_BANNER) {
    ff_registration stored;
    loadRegistration(&stored);
    gListening = ff_register_init(&gRegister, gConfig.uid, gConfig.prov_token, nonce, &stored,
                                  saveRegistration, nullptr) == 0;
    if (gListening && ff_register_is_registered(&gRegister)) showRegistered();
  }
#endif
}

void loop() {
  ff_bootstrap_poll(&gBootstrap);
  // What FieldFlash sends over the cable (an FFREG line) is answered here, whole lines at a time.
  if (gListening) {
    uint8_t buf[64];
    size_t n = 0;
    while (n < sizeof buf && Serial.available() > 0) buf[n++] = static_cast<uint8_t>(Serial.read());
    if (n > 0 && ff_register_feed(&gRegister, buf, n, serialWrite, nullptr)) showRegistered();
  }
  delay(10);  // the banner period is seconds; no need to spin
}

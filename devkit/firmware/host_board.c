/*
 * A host "board" for end-to-end tests and for anyone without hardware (npm run devkit:board):
 * built from the same ff_bootstrap code and the same rendered include/device_config.h as the
 * firmware (or, with -DFF_GENERIC_BUILD, as the base firmware without one), it does on stdin and
 * stdout what the firmware does on its serial console: ROM boot noise, then the FFBOOT (or FFERR)
 * line on boot and every interval, CRLF-terminated, each line flushed at once; it answers FFREG
 * registration lines (ff_register.c) and, registered, prints the FFREGD status line instead. It
 * picks its values as the firmware's setup() does: the `fieldflash` namespace of the ffcfg
 * partition when there is one (--nvs), else the header.
 *
 * Build: gcc -std=c99 -I<dir with device_config.h> -I<lib/ff_bootstrap> host_board.c host_nvs.c
 *        ff_*.c -lmbedcrypto              (or -DFF_GENERIC_BUILD and no device_config.h)
 * Usage: host_board [--mac aa:bb:cc:dd:ee:ff] [--interval-ms N] [--count N] [--garble]
 *                   [--nvs ffcfg.bin] [--state file] [--nonce 16hex]
 *   --mac          station MAC to report (default 02:00:00:00:00:01; uppercase accepted)
 *   --interval-ms  period of the banner or status line (default 5000)
 *   --count        exit after N lines (default 0: run until killed)
 *   --garble       put baud-rate garbage bytes before the first line, on the same line
 *   --nvs          the bytes of the board's ffcfg partition (what FieldFlash flashed there)
 *   --state        the board's own nvs (its registration), kept across restarts in this file
 *   --nonce        this boot's nonce instead of a random one (for reproducible runs)
 * Like the firmware, it never prints the provisioning token, the registration token or the MQTT
 * password.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FF_GENERIC_BUILD
#include "device_config.h"
#endif
#include "ff_bootstrap.h"
#include "ff_config.h"
#include "ff_register.h"
#include "host_nvs.h"

#ifndef FF_FIRMWARE_VERSION
#define FF_FIRMWARE_VERSION FF_FIRMWARE_VERSION_DEFAULT
#endif

#ifndef FF_GENERIC_BUILD
/** Does not compile unless device_config.h defines all nine values with the right types, so a
 * rendering mistake in the app fails here instead of on a technician's bench. */
static const ff_header_values k_header = {
    DEVICE_UID,           PLATFORM_KEY,         MQTT_HOST,    (uint16_t)MQTT_PORT,
    DEVICE_MQTT_USERNAME, DEVICE_MQTT_PASSWORD, OTA_BASE_URL, API_HOST,
    PROVISIONING_TOKEN};
#define HEADER_VALUES (&k_header)
#else
#define HEADER_VALUES NULL
#endif

/** The whole of a partition image file, or NULL (with *len 0) when it cannot be read. */
static uint8_t *read_image(const char *path, size_t *len) {
  static uint8_t image[1024 * 1024];
  FILE *f = fopen(path, "rb");
  *len = 0;
  if (f == NULL) return NULL;
  *len = fread(image, 1, sizeof image, f);
  fclose(f);
  return image;
}

typedef struct {
  unsigned long lines;
} board;

static void serial_write(void *user, const char *data, size_t len) {
  board *bd = (board *)user;
  fwrite(data, 1, len, stdout);
  fflush(stdout); /* a test reading a pipe or pty must see each line when it is "sent" */
  bd->lines++;
}

static uint32_t millis(void *user) {
  struct timespec ts;
  (void)user;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  /* Truncation to 32 bits is intended: it wraps exactly like Arduino's millis(). */
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void sleep_ms(unsigned ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000u);
  ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int parse_mac(const char *text, uint8_t mac[FF_MAC_LEN]) {
  unsigned v[FF_MAC_LEN];
  char tail;
  if (strlen(text) != 17) return 0;
  if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) !=
      6) {
    return 0;
  }
  for (size_t i = 0; i < FF_MAC_LEN; i++) mac[i] = (uint8_t)v[i];
  return 1;
}

static int parse_count(const char *text, unsigned long max, unsigned long *out) {
  char *end;
  unsigned long v;
  if (text == NULL || text[0] < '0' || text[0] > '9') return 0;
  errno = 0;
  v = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || v > max) return 0;
  *out = v;
  return 1;
}

static int usage(const char *why) {
  fprintf(stderr,
          "host_board: %s\nusage: host_board [--mac aa:bb:cc:dd:ee:ff] [--interval-ms N] "
          "[--count N] [--garble] [--nvs ffcfg.bin] [--state file] [--nonce 16hex]\n",
          why);
  return 2;
}

/* --- the board's own nvs: its registration, in a file ---------------------------------------- */

/** Reads "<rt> <exp> <pfp>" from the state file; false when there is none (not registered). */
static int load_state(const char *path, ff_registration *reg) {
  char line[256];
  FILE *f;
  memset(reg, 0, sizeof *reg);
  if (path == NULL || (f = fopen(path, "r")) == NULL) return 0;
  if (fgets(line, sizeof line, f) == NULL ||
      sscanf(line, "%64s %12s %8s", reg->rt, reg->exp, reg->pfp) != 3) {
    memset(reg, 0, sizeof *reg);
  }
  fclose(f);
  return reg->rt[0] != '\0';
}

/** Writes the registration as a whole (temporary file, then rename), as NVS commits an entry. */
static bool save_state(void *user, const ff_registration *reg) {
  const char *path = (const char *)user;
  char temp[4096];
  FILE *f;
  if (path == NULL) return true; /* no --state: kept in memory for as long as the board runs */
  if ((size_t)snprintf(temp, sizeof temp, "%s.tmp", path) >= sizeof temp) return false;
  f = fopen(temp, "w");
  if (f == NULL) return false;
  if (fprintf(f, "%s %s %s\n", reg->rt, reg->exp, reg->pfp) < 0 || fclose(f) != 0) return false;
  return rename(temp, path) == 0;
}

/** This boot's nonce from the system's random source (the ESP32 reads its hardware RNG). */
static int random_nonce(char out[FF_NONCE_BUF]) {
  uint8_t raw[FF_NONCE_RAW];
  FILE *f = fopen("/dev/urandom", "rb");
  if (f == NULL) return 0;
  if (fread(raw, 1, sizeof raw, f) != sizeof raw) {
    fclose(f);
    return 0;
  }
  fclose(f);
  ff_nonce_format(raw, out);
  return 1;
}

static int parse_nonce(const char *text, char out[FF_NONCE_BUF]) {
  if (text == NULL || strlen(text) != FF_NONCE_LEN) return 0;
  for (size_t i = 0; i < FF_NONCE_LEN; i++) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  memcpy(out, text, FF_NONCE_BUF);
  return 1;
}

/** Shows the FFREGD status line instead of the banner, from the next poll on. */
static void arm_status(ff_bootstrap *boot, const ff_register *reg) {
  char line[FF_REG_LINE_BUF];
  const int len = ff_register_status_line(reg, line, sizeof line);
  if (len > 0) ff_bootstrap_arm(boot, line, (size_t)len);
}

int main(int argc, char **argv) {
  /* What the ROM bootloader of an ESP32 prints after a power-on reset, trimmed. */
  static const char boot_noise[] =
      "ets Jun  8 2016 00:22:57\r\n"
      "\r\n"
      "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
      "configsip: 0, SPIWP:0xee\r\n"
      "mode:DIO, clock div:1\r\n"
      "load:0x3fff0030,len:1184\r\n"
      "entry 0x400805e4\r\n";
  static const char garble[] = "\xff\xfe\x80?";
  static ff_device_config config; /* holds secrets: never printed */
  const char *nvs_path = NULL;
  const char *state_path = NULL;
  char nonce[FF_NONCE_BUF] = {0};
  int stdin_open = 1;
  ff_register reg;
  ff_registration stored;
  ff_cfg_result source;
  uint8_t mac[FF_MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  unsigned long interval_ms = FF_BANNER_INTERVAL_MS;
  unsigned long count = 0;
  int garbled = 0;
  board bd = {0};
  ff_bootstrap boot;
  ff_bootstrap_config cfg;
  memset(&cfg, 0, sizeof cfg);

  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--garble") == 0) {
      garbled = 1;
    } else if (strcmp(arg, "--mac") == 0) {
      if (value == NULL || !parse_mac(value, mac)) return usage("--mac wants aa:bb:cc:dd:ee:ff");
      i++;
    } else if (strcmp(arg, "--interval-ms") == 0) {
      if (!parse_count(value, 86400000ul, &interval_ms) || interval_ms == 0) {
        return usage("--interval-ms wants a whole number of milliseconds, 1 or more");
      }
      i++;
    } else if (strcmp(arg, "--nvs") == 0) {
      if (value == NULL) return usage("--nvs wants the ffcfg partition's file");
      nvs_path = value;
      i++;
    } else if (strcmp(arg, "--state") == 0) {
      if (value == NULL) return usage("--state wants a file for the board's own nvs");
      state_path = value;
      i++;
    } else if (strcmp(arg, "--nonce") == 0) {
      if (!parse_nonce(value, nonce)) return usage("--nonce wants 16 lowercase hex digits");
      i++;
    } else if (strcmp(arg, "--count") == 0) {
      if (!parse_count(value, 1000000ul, &count)) return usage("--count wants a whole number");
      i++;
    } else {
      return usage("unknown argument");
    }
  }

  fwrite(boot_noise, 1, sizeof boot_noise - 1, stdout);
  if (garbled) fwrite(garble, 1, sizeof garble - 1, stdout);
  fflush(stdout);

  /* The firmware's loadConfig(): ffcfg when its namespace opens, else the header. */
  {
    size_t len = 0;
    const uint8_t *image = nvs_path ? read_image(nvs_path, &len) : NULL;
    host_nvs nvs;
    if (image != NULL && host_nvs_open(&nvs, image, len, "fieldflash")) {
      const ff_kv_source kv = {host_nvs_get_str, host_nvs_get_u16, &nvs};
      source = ff_config_load(&config, &kv, HEADER_VALUES);
    } else {
      source = ff_config_load(&config, NULL, HEADER_VALUES);
    }
  }
  if (source.source == FF_CFG_ERROR) {
    /* No usable configuration: the firmware says which key on every interval. */
    char line[FF_LINE_BUF];
    const int len = ff_format_error(line, sizeof line - 2, config.uid, source.reason);
    if (len <= 0) return 1;
    line[len] = '\r';
    line[len + 1] = '\n';
    for (;;) {
      serial_write(&bd, line, (size_t)len + 2u);
      if (count != 0 && bd.lines >= count) return 0;
      sleep_ms((unsigned)interval_ms);
    }
  }

  if (nonce[0] == '\0' && !random_nonce(nonce)) return 1;
  cfg.uid = config.uid;
  cfg.token = config.prov_token;
  cfg.mac = mac;
  cfg.fw = FF_FIRMWARE_VERSION;
  cfg.interval_ms = (uint32_t)interval_ms;
  cfg.cfg_source = ff_cfg_source_name(source.source);
  cfg.nonce = nonce;
  if (ff_bootstrap_init(&boot, &cfg, serial_write, millis, &bd) != FF_BOOT_BANNER) {
    /* An FFERR line: the board only reports, it cannot register. */
    stdin_open = 0;
  } else {
    load_state(state_path, &stored);
    if (ff_register_init(&reg, config.uid, config.prov_token, nonce, &stored, save_state,
                         (void *)state_path) != 0) {
      return 1;
    }
    if (ff_register_is_registered(&reg)) arm_status(&boot, &reg);
  }

  /* The firmware's loop(): poll often, print when due, answer what arrives on the serial line.
   * 5 ms keeps the timing error small. */
  for (;;) {
    ff_bootstrap_poll(&boot);
    if (count != 0 && bd.lines >= count) break;
    if (stdin_open) {
      struct pollfd in = {0, POLLIN, 0};
      if (poll(&in, 1, interval_ms < 5u ? (int)interval_ms : 5) > 0) {
        uint8_t buf[256];
        const ssize_t n = read(0, buf, sizeof buf);
        if (n <= 0) {
          stdin_open = 0; /* the host end closed: keep printing, stop listening */
        } else if (ff_register_feed(&reg, buf, (size_t)n, serial_write, &bd)) {
          arm_status(&boot, &reg);
        }
      }
    } else {
      sleep_ms(interval_ms < 5u ? (unsigned)interval_ms : 5u);
    }
  }
  return 0;
}

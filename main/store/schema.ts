/**
 * The registry's schema as forward migrations: `MIGRATIONS[n]` takes a database from
 * `user_version = n` to `n + 1`. Never edit a migration that has shipped; add the next one.
 * Constraints repeat the domain's rules so a row that breaks one can never be written, whoever
 * writes it.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE site (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    platform_key TEXT NOT NULL CHECK (length(platform_key) BETWEEN 1 AND 128),
    api_host TEXT NOT NULL CHECK (length(api_host) > 0),
    mqtt_host TEXT NOT NULL CHECK (length(mqtt_host) > 0),
    mqtt_port INTEGER NOT NULL CHECK (mqtt_port BETWEEN 1 AND 65535),
    ota_base_url TEXT NOT NULL CHECK (length(ota_base_url) > 0),
    token_lifetime_hours INTEGER NOT NULL CHECK (token_lifetime_hours BETWEEN 1 AND 8760),
    -- The site's Wi-Fi, written into config partitions; the password is a secret like MQTT's.
    wifi_ssid TEXT CHECK (wifi_ssid IS NULL OR length(CAST(wifi_ssid AS BLOB)) BETWEEN 1 AND 32),
    wifi_password TEXT,
    CHECK ((wifi_ssid IS NULL) = (wifi_password IS NULL))
  ) STRICT;

  CREATE TABLE devices (
    seq INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE
      CHECK (length(uid) BETWEEN 4 AND 90 AND uid NOT GLOB '*[^0-9A-Za-z._-]*'),
    board_id TEXT NOT NULL CHECK (length(board_id) > 0),
    created_at TEXT NOT NULL,
    mqtt_username TEXT NOT NULL CHECK (length(mqtt_username) > 0),
    mqtt_password TEXT NOT NULL CHECK (length(mqtt_password) > 0),
    mqtt_password_set_at TEXT NOT NULL,
    approved_at TEXT
  ) STRICT;

  CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    device_uid TEXT NOT NULL REFERENCES devices (uid),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
    fingerprint TEXT NOT NULL CHECK (fingerprint = substr(hash, 1, 8)),
    expected_code TEXT NOT NULL CHECK (length(expected_code) = 9),
    state TEXT NOT NULL
      CHECK (state IN ('issued', 'superseded', 'consumed', 'revoked', 'expired')),
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT,
    origin TEXT NOT NULL
      CHECK (origin IN ('template', 'regenerate', 'config-partition', 'provision')),
    CHECK ((state = 'issued') = (ended_at IS NULL))
  ) STRICT;
  CREATE INDEX tokens_by_device ON tokens (device_uid, id);
  -- At most one token of a device is issued at a time.
  CREATE UNIQUE INDEX tokens_one_issued ON tokens (device_uid) WHERE state = 'issued';

  CREATE TABLE flashes (
    id INTEGER PRIMARY KEY,
    device_uid TEXT NOT NULL REFERENCES devices (uid),
    at TEXT NOT NULL,
    port TEXT NOT NULL,
    chip TEXT NOT NULL,
    mac TEXT NOT NULL,
    flash_size TEXT NOT NULL,
    firmware_name TEXT NOT NULL,
    firmware_sha256 TEXT NOT NULL,
    parts TEXT NOT NULL CHECK (json_valid(parts))
  ) STRICT;
  CREATE INDEX flashes_by_device ON flashes (device_uid, id);

  CREATE TABLE operations (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    device_uid TEXT NOT NULL REFERENCES devices (uid),
    fingerprint TEXT NOT NULL,
    code TEXT NOT NULL,
    mac TEXT NOT NULL,
    port TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    classification TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_at TEXT,
    approver TEXT,
    reason TEXT,
    CHECK ((state = 'pending') = (decided_at IS NULL))
  ) STRICT;
  CREATE INDEX operations_by_device ON operations (device_uid, seq);
  -- A one-time token is approved at most once, whatever the number of processes or boards.
  CREATE UNIQUE INDEX operations_one_approval ON operations (device_uid, fingerprint)
    WHERE state = 'approved';

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    uid TEXT,
    body TEXT NOT NULL CHECK (json_valid(body))
  ) STRICT;
  CREATE INDEX audit_by_device ON audit (uid, seq) WHERE uid IS NOT NULL;
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

  -- Files carrying a device's token that FieldFlash wrote or is writing (template ZIPs, config
  -- partitions): one becomes final only while it carries its device's current token, and a
  -- crashed run's temporary file is finished or removed later.
  CREATE TABLE credential_files (
    id INTEGER PRIMARY KEY,
    final_path TEXT NOT NULL,
    device_uid TEXT NOT NULL REFERENCES devices (uid),
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'final')),
    temp_path TEXT UNIQUE,
    sha256 TEXT,
    pid INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((state = 'final') = (temp_path IS NULL))
  ) STRICT;
  CREATE UNIQUE INDEX credential_files_one_final ON credential_files (final_path)
    WHERE state = 'final';
  CREATE INDEX credential_files_by_device ON credential_files (device_uid);

  -- The base firmware library: firmware built once per board without any device's values, kept
  -- in <data dir>/firmware/<sha256>/ and flashed with a per-device config partition.
  CREATE TABLE firmware (
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    board_id TEXT NOT NULL CHECK (length(board_id) > 0),
    name TEXT NOT NULL,
    version TEXT,
    chip TEXT NOT NULL,
    kind TEXT NOT NULL,
    flash_size INTEGER NOT NULL CHECK (flash_size > 0),
    config_label TEXT NOT NULL CHECK (config_label IN ('ffcfg', 'nvs')),
    config_offset INTEGER NOT NULL CHECK (config_offset % 4096 = 0),
    config_size INTEGER NOT NULL CHECK (config_size >= 12288 AND config_size % 4096 = 0),
    partitions TEXT NOT NULL CHECK (json_valid(partitions)),
    parts TEXT NOT NULL CHECK (json_valid(parts)),
    imported_at TEXT NOT NULL,
    PRIMARY KEY (sha256, board_id)
  ) STRICT;
  `,
  // 2: registration over the cable (docs/protocol.md). A provisioning token keeps K_reg, what
  // registers its board later (a secret like the MQTT password; the token itself is never kept);
  // each registration token is kept as its hash, fingerprint and K_rt, never in plaintext.
  `
  ALTER TABLE tokens ADD COLUMN registration_key TEXT
    CHECK (registration_key IS NULL OR
           (length(registration_key) = 64 AND registration_key NOT GLOB '*[^0-9a-f]*'));
  ALTER TABLE site ADD COLUMN registration_lifetime_days INTEGER NOT NULL DEFAULT 365
    CHECK (registration_lifetime_days BETWEEN 1 AND 3650);

  CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    device_uid TEXT NOT NULL REFERENCES devices (uid),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
    fingerprint TEXT NOT NULL CHECK (fingerprint = substr(hash, 1, 8)),
    holder_key TEXT NOT NULL
      CHECK (length(holder_key) = 64 AND holder_key NOT GLOB '*[^0-9a-f]*'),
    provisioning_fingerprint TEXT NOT NULL CHECK (length(provisioning_fingerprint) = 8),
    origin TEXT NOT NULL CHECK (origin IN ('register', 'refresh')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'failed', 'superseded', 'revoked')),
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    acked_at TEXT,
    ended_at TEXT,
    mac TEXT,
    reason TEXT,
    CHECK (state != 'active' OR acked_at IS NOT NULL),
    CHECK ((state IN ('pending', 'active')) = (ended_at IS NULL))
  ) STRICT;
  CREATE INDEX registrations_by_device ON registrations (device_uid, id);
  -- A device has at most one active registration token, whatever the number of processes.
  CREATE UNIQUE INDEX registrations_one_active ON registrations (device_uid)
    WHERE state = 'active';
  `,
  // 3: one board per device at a time. A job that writes a device's credentials to a board holds
  // the device's lease from start to end, whichever process runs it; a second job is refused
  // naming where the first runs. A lease left by a killed process is taken over (its pid is gone,
  // or its heartbeat stopped).
  `
  CREATE TABLE device_leases (
    uid TEXT PRIMARY KEY REFERENCES devices (uid),
    id TEXT NOT NULL CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
    holder TEXT NOT NULL CHECK (length(holder) > 0),
    port TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL CHECK (pid > 0),
    since TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
  ) STRICT;
  `,
  // 4: nothing on SQLite, whose file holds secrets as they are (owner-only). On PostgreSQL the
  // sealed secrets took their second form (sealed to the registry's public key); the versions of
  // both engines stay in step.
  `
  SELECT 1;
  `,
]

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

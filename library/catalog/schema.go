package catalog

// migrations are applied in order; the database's user_version records how
// many ran. Never edit a released step: append a new one.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE photos (
	id            INTEGER PRIMARY KEY,
	path          TEXT    NOT NULL UNIQUE,
	folder        TEXT    NOT NULL,
	size          INTEGER NOT NULL,
	mtime_ns      INTEGER NOT NULL,
	hash          TEXT    NOT NULL,
	format        TEXT    NOT NULL DEFAULT '',
	width         INTEGER NOT NULL DEFAULT 0,
	height        INTEGER NOT NULL DEFAULT 0,
	taken_at      INTEGER,
	taken_src     TEXT    NOT NULL DEFAULT '',
	make          TEXT    NOT NULL DEFAULT '',
	model         TEXT    NOT NULL DEFAULT '',
	lens          TEXT    NOT NULL DEFAULT '',
	focal_mm      REAL    NOT NULL DEFAULT 0,
	fnumber       REAL    NOT NULL DEFAULT 0,
	exposure_s    REAL    NOT NULL DEFAULT 0,
	iso           INTEGER NOT NULL DEFAULT 0,
	lat           REAL,
	lon           REAL,
	orientation   INTEGER NOT NULL DEFAULT 1,
	exif_warning  TEXT    NOT NULL DEFAULT '',
	scan_gen      INTEGER NOT NULL DEFAULT 0,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX photos_hash   ON photos(hash);
CREATE INDEX photos_taken  ON photos(taken_at);
CREATE INDEX photos_folder ON photos(folder);
CREATE INDEX photos_model  ON photos(model);

-- Embeddings are keyed by content, so a moved, renamed or duplicated file
-- reuses its vector without running the model again.
CREATE TABLE embeddings (
	hash  TEXT    NOT NULL,
	model TEXT    NOT NULL,
	dim   INTEGER NOT NULL,
	vec   BLOB    NOT NULL,
	PRIMARY KEY (hash, model)
) WITHOUT ROWID;

-- Files that could not be indexed, remembered with their size and mtime so
-- an unchanged broken file is not retried on every scan.
CREATE TABLE failures (
	path     TEXT    PRIMARY KEY,
	size     INTEGER NOT NULL,
	mtime_ns INTEGER NOT NULL,
	reason   TEXT    NOT NULL,
	message  TEXT    NOT NULL,
	at       INTEGER NOT NULL
);

-- Per vector store: which photos still have to be pushed (or deleted), so
-- nothing is lost while a store is unreachable.
CREATE TABLE sync_pending (
	store    TEXT    NOT NULL,
	model    TEXT    NOT NULL,
	photo_id INTEGER NOT NULL,
	op       TEXT    NOT NULL CHECK (op IN ('upsert', 'delete')),
	PRIMARY KEY (store, model, photo_id)
) WITHOUT ROWID;

CREATE TABLE roots (
	path     TEXT PRIMARY KEY,
	added_at INTEGER NOT NULL
);

CREATE TABLE scans (
	id          INTEGER PRIMARY KEY,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	state       TEXT    NOT NULL,
	roots       TEXT    NOT NULL,
	model       TEXT    NOT NULL DEFAULT '',
	found       INTEGER NOT NULL DEFAULT 0,
	processed   INTEGER NOT NULL DEFAULT 0,
	skipped     INTEGER NOT NULL DEFAULT 0,
	failed      INTEGER NOT NULL DEFAULT 0
);
`,
	// 2: content signatures for duplicate detection, keyed by content like
	// embeddings. Hashes are 64-bit patterns stored as signed integers.
	`
CREATE TABLE signatures (
	hash      TEXT    PRIMARY KEY,
	version   INTEGER NOT NULL,
	phash     INTEGER NOT NULL,
	centre1   INTEGER NOT NULL,
	centre2   INTEGER NOT NULL,
	aspect    REAL    NOT NULL,
	sharpness REAL    NOT NULL
) WITHOUT ROWID;
`,
	// 3: what each library folder's disk looked like when last seen, so a
	// scan can tell an unplugged or unmounted disk (keep its photos, show
	// them offline) from files that were really deleted.
	`
ALTER TABLE roots ADD COLUMN dev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE roots ADD COLUMN own_mount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE roots ADD COLUMN seen_at INTEGER;
ALTER TABLE roots ADD COLUMN offline_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE roots ADD COLUMN offline_since INTEGER;
`,
	// 4: the library's identity (a random id made once; a vector store
	// shared with other libraries records whose collection it is), and the
	// photos a store refused, set aside with the reason so the rest of
	// their batch goes through and `simili stats` can list them.
	`
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('library_id', lower(hex(randomblob(16))));

CREATE TABLE sync_aside (
	store    TEXT    NOT NULL,
	model    TEXT    NOT NULL,
	photo_id INTEGER NOT NULL,
	reason   TEXT    NOT NULL,
	at       INTEGER NOT NULL,
	PRIMARY KEY (store, model, photo_id)
) WITHOUT ROWID;
`,
	// 5: the fine 256-bit hash of signature version 2 (32 bytes).
	`ALTER TABLE signatures ADD COLUMN fine BLOB NOT NULL DEFAULT x'';`,
}

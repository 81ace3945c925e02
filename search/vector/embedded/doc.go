// Package embedded is Simili's default vector store: an in-process index
// that needs no server. Until an index pays off (20,000 records, or from
// 5,000 records once they hold 10M floats, as 2048-d ones do at 5,000)
// every search scans all vectors (a dot product per record, split across
// GOMAXPROCS goroutines, filters checked in the same pass) and never
// misses a result.
//
// # Approximate search (IVF)
//
// Above that an IVF index (ivf.go, trained by kmeans.go) groups
// records into about 4·sqrt(N) lists by nearest centroid (assigned exactly:
// ivfassign.go); a search ranks the centroids, then scores only the
// records of the nearest lists, through int8 byte codes when the probe is
// large (int8code.go: the best 4k+64 per core re-scored exactly), so
// scores are exact and only the choice of records scored is approximate.
// How many lists is measured after each training, and again whenever the
// store has grown by a quarter since, on the store's own records
// (ivfcalibrate.go: the fewest that hold 99.7% of 512 sampled records'
// top 10, and of their top 100); SearchOptions.Nprobe
// overrides, and until calibrated 2% of the lists are probed. A filter widens
// the probe by 1.5/selectivity; a probe of over a quarter of the lists
// uses the exact scan. A filter keeping under 15% of records is answered
// from its match list (filtercache.go: built on first use, kept for the
// four most recent filters until the next write): through the sign codes
// copied beside the list (signcode.go: one bit per dimension per record,
// ranked by byte lookup tables, the best 2% re-scored exactly) when it
// keeps more than 8192 records, else by scoring the listed records
// exactly. Records
// written since the last training sit in a tail every search scans; the
// tail is absorbed into its nearest lists in the background from n/256
// records, and the centroids are retrained in the background once more
// records changed than were trained on (ivfstore.go). After each training,
// and once absorbs have placed n/8 records out of order, the records are
// renumbered list by list, so a probe reads each list's vectors as one
// contiguous run (ivflayout.go; this costs a transient copy of the
// vectors). The index is saved in vectors.ivf, in the snapshot's record
// order: a renumbering after the last compaction makes Close compact.
// Until an index exists, searches use the exact scan.
//
// # Memory
//
// Vectors live in one contiguous []float32 (slot i at [i*dim, (i+1)*dim)),
// with parallel slices of IDs and 32-byte metadata whose strings (make,
// model, lens, folder) are interned, plus an ID→slot map. Deletes move the
// last slot into the hole. Memory is the raw float32 bytes plus roughly 100
// bytes per record, plus dim/8+4 bytes of sign code and dim+4 bytes of
// byte code per record once an IVF index exists (3% and 25% of the
// vectors), plus the filter cache (at most 1/32 of the vectors' bytes).
//
// # Files
//
// A store is a directory:
//
//	MODEL         JSON {"name":…, "dim":…, "format":1}: the embedding space
//	              this directory is bound to; Open with another model fails
//	              with *vector.MismatchError.
//	LOCK          flock'ed (LockFileEx on Windows) while a process has the
//	              store open; holds that process's pid for the error message.
//	vectors.snap  the snapshot: every record as of the last compaction.
//	vectors.wal   the write-ahead log of changes since the snapshot.
//	vectors.ivf   the IVF centroids, the records' mean (the sign codes'
//	              origin; both codes are recomputed on open) and each
//	              snapshot record's list, for
//	              the snapshot's generation (ivffile.go); a cache that is
//	              rebuilt when missing, stale or damaged.
//
// All integers are little-endian; CRCs are CRC-32C (Castagnoli).
//
// Snapshot:
//
//	"SMLVSNP1" | version u32 | dim u32 | generation u64
//	| name length u32 | model name
//	| string count u32 | count × (length u32 | bytes)      interned strings, 0 = ""
//	| record count u64
//	| count × (id i64 | taken i64 (Unix s) | flags u8 (1 dated, 2 GPS)
//	           | make u32 | model u32 | lens u32 | folder u32 (string indexes)
//	           | dim × f32 (unit length))
//	| CRC u32 of every byte before it
//
// Log:
//
//	header:  "SMLVWAL1" | version u32 | dim u32 | generation u64 | CRC u32 of the header
//	entries: payload length u32 | payload CRC u32 | payload
//	payload: op u8, then
//	  1 upsert: n uvarint, n × (id i64 | flags u8 | taken i64
//	            | make, model, lens, folder as (uvarint length | bytes)
//	            | dim × f32)
//	  2 delete: n uvarint, n × id i64
//	  3 drop
//
// Each Upsert/Delete/Drop call is one entry, so a batch survives a crash
// whole or not at all; Flush fsyncs the log.
//
// # Recovery and compaction
//
// Open loads the snapshot, then replays the log if its generation equals the
// snapshot's. An entry that is incomplete or fails its CRC with nothing but
// zero bytes after it is a write torn by a crash: it is dropped, the log is
// truncated there and a warning is logged. A bad entry followed by valid
// data, a bad snapshot CRC or an impossible length is reported as ErrCorrupt
// naming the file, never a panic.
//
// Compaction (on Close, on Drop, and when the log outgrows both the snapshot
// and 4 MiB) writes vectors.snap.tmp with the next generation, fsyncs it,
// renames it over vectors.snap, fsyncs the directory, then truncates the log
// and writes a header with the new generation. If a crash lands between the
// rename and the truncation, Open sees a log generation older than the
// snapshot's and discards the log, whose entries the snapshot already holds.
package embedded

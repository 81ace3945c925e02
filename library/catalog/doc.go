// Package catalog is Simili's source of truth: one SQLite database holding
// every photo's path, content hash, EXIF, scan state, failures, and the
// embeddings of every model that has run, so vector stores can be rebuilt or
// switched without running a model again.
//
// The database runs in WAL mode with synchronous=NORMAL: a crash may lose the
// last unsynced transactions but never corrupts the file, and the scanner
// re-does whatever was lost on its next run.
package catalog

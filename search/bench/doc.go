// Package bench measures Simili's speed on this machine: photo preparation,
// end-to-end indexing throughput and vector search. Every figure is
// measured, never estimated; `simili bench` prints them.
package bench
